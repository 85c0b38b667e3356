// Socket.IO registers its handlers on the uWS app it is given (`io.attachApp(app)`): an
// `any` route and a `ws` route for its path. We hand it a thin proxy of the real app that
// puts our own front router before those handlers, so we can answer CORS preflights with
// Hono (and, in the mesh, route requests to the worker that owns their session) without
// forking socket.io or engine.io.
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocketBehavior } from "uWebSockets.js";

export type HttpHandler = (res: HttpResponse, req: HttpRequest) => void | Promise<void>;

export interface EngineInterceptors {
  /** Wraps the handler engine.io registers for HTTP requests (polling) on its path. */
  http?(engineHandler: HttpHandler): HttpHandler;
  /** Wraps the websocket behaviour engine.io registers on its path. */
  ws?<T>(behavior: WebSocketBehavior<T>): WebSocketBehavior<T>;
}

export function wrapAppForEngine(app: TemplatedApp, interceptors: EngineInterceptors): TemplatedApp {
  // One forwarding function per method, made once: socket.io calls app.publish through this
  // proxy for every fast-path broadcast.
  const forwarders = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  const proxy: TemplatedApp = new Proxy(app, {
    get(target, property, receiver) {
      if (property === "any" && interceptors.http) {
        return (pattern: string, handler: HttpHandler) => {
          target.any(pattern, interceptors.http!(handler));
          return proxy;
        };
      }
      if (property === "ws" && interceptors.ws) {
        return <T>(pattern: string, behavior: WebSocketBehavior<T>) => {
          target.ws(pattern, interceptors.ws!(behavior));
          return proxy;
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      let forward = forwarders.get(property);
      if (!forward) {
        // Native methods need the real app as `this`; chained calls must keep the proxy.
        const method = value as (...a: unknown[]) => unknown;
        forward = (...args: unknown[]) => {
          const result = method.apply(target, args);
          return result === target ? proxy : result;
        };
        forwarders.set(property, forward);
      }
      return forward;
    },
  });
  return proxy;
}
