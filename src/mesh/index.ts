// The sid mesh: stickiness for uWS workers without a proxy in front of them.
// Every worker routes requests for the Socket.IO path by the owner their sid names:
// polling requests are forwarded, websocket upgrades relayed, and sessions whose owner is
// gone are answered "Session ID unknown" so the client starts over.
import type { HttpHandler, EngineInterceptors } from "../worker/engine-app.js";
import type { WebSocketBehavior } from "uWebSockets.js";
import type { Logger } from "../log.js";
import { createLoopbackAgent, forwardPolling, respondSessionUnknown } from "./forward-polling.js";
import { closeAllRelays, isRelay, relayHandlers, relayUpgrade, type RelayContext } from "./relay-upgrade.js";
import { FORWARDED_HEADER, SidRouter } from "./router.js";
import type { MeshStats } from "./stats.js";

export { makeSid, ownerOfSid } from "./sid.js";
export { SidRouter, FORWARDED_HEADER } from "./router.js";
export { newMeshStats, type MeshStats } from "./stats.js";

export interface MeshOptions {
  router: SidRouter;
  stats: MeshStats;
  log: Logger;
  corsHeaders(origin: string | undefined): Array<[string, string]>;
  /** Requests the mesh does not route (CORS preflights): served by the HTTP app. */
  preflight: HttpHandler;
}

export interface Mesh {
  interceptors: EngineInterceptors;
  /** Hands every relayed websocket back to its client (1012: reconnect), for a drain. */
  closeRelays(): void;
}

export function createMesh(options: MeshOptions): Mesh {
  const { router, stats } = options;
  const agent = createLoopbackAgent();
  const forwardContext = { agent, stats, corsHeaders: options.corsHeaders };
  const relayContext: RelayContext = { stats, log: options.log, corsHeaders: options.corsHeaders, open: new Set() };

  const http = (engineHandler: HttpHandler): HttpHandler => (res, req) => {
    const method = req.getMethod();
    if (method === "options") return options.preflight(res, req);
    const route = router.route(req.getQuery("sid") ?? "", req.getHeader(FORWARDED_HEADER) !== "");
    switch (route.kind) {
      case "local":
        return engineHandler(res, req);
      case "peer":
        return forwardPolling(res, req, route.port, forwardContext);
      case "unknown":
        return respondSessionUnknown(res, options.corsHeaders(req.getHeader("origin") || undefined));
    }
  };

  const ws = <T>(behavior: WebSocketBehavior<T>): WebSocketBehavior<T> => ({
    ...behavior,
    upgrade: (res, req, context) => {
      const route = router.route(req.getQuery("sid") ?? "", req.getHeader(FORWARDED_HEADER) !== "");
      switch (route.kind) {
        case "local":
          return behavior.upgrade?.(res, req, context);
        case "peer":
          return relayUpgrade(res, req, context, route.port, relayContext);
        case "unknown":
          return respondSessionUnknown(res, options.corsHeaders(req.getHeader("origin") || undefined));
      }
    },
    open: (socket) => {
      if (isRelay(socket.getUserData())) return relayHandlers.open(socket as never, relayContext);
      return behavior.open?.(socket);
    },
    message: (socket, message, isBinary) => {
      if (isRelay(socket.getUserData())) return relayHandlers.message(socket as never, message, isBinary);
      return behavior.message?.(socket, message, isBinary);
    },
    drain: (socket) => {
      if (isRelay(socket.getUserData())) return relayHandlers.drain(socket as never);
      return behavior.drain?.(socket);
    },
    close: (socket, code, message) => {
      if (isRelay(socket.getUserData())) return relayHandlers.close(socket as never, code, message, relayContext);
      return behavior.close?.(socket, code, message);
    },
  });

  return { interceptors: { http, ws }, closeRelays: () => closeAllRelays(relayContext) };
}
