// The uws engine: one uWS App on the public port (SO_REUSEPORT) and a private loopback
// port, Socket.IO attached through the sid mesh, Hono for every other route.
import type { HttpRequest, HttpResponse, us_listen_socket } from "uWebSockets.js";
import { serveWithFetch } from "../http/uws-fetch-bridge.js";
import { createMesh, makeSid, newMeshStats, SidRouter } from "../mesh/index.js";
import { wrapAppForEngine } from "./engine-app.js";
import type { Uws } from "./uws-native.js";
import { WorkerStartError, type Engine, type EngineDeps } from "./engine.js";

export function createUwsEngine(uws: Uws, deps: EngineDeps): Engine {
  const { context, config, io, http, cors, inFlight, channel, log } = deps;
  const app = uws.App();
  const mesh = newMeshStats();
  const self = { slot: context.slot, incarnation: context.incarnation };
  const router = new SidRouter(self);
  router.updatePeers(context.peers);
  channel.onPush((push) => {
    if (push.kind === "peers") router.updatePeers(push.peers);
  });

  const bridgeOptions = { maxBodyBytes: config.maxBodyBytes };
  const serveHttp = (res: HttpResponse, req: HttpRequest) =>
    serveWithFetch(res, req, (request, env) => http.fetch(request, env), bridgeOptions, inFlight);

  const corsHeaders = (origin: string | undefined): Array<[string, string]> => {
    const allowed = cors.allow(origin);
    if (!allowed) return [];
    return cors.credentials ? [["access-control-allow-origin", allowed], ["access-control-allow-credentials", "true"]] : [["access-control-allow-origin", allowed]];
  };

  const sidMesh = createMesh({ router, stats: mesh, log: log.child("mesh"), corsHeaders, preflight: serveHttp });
  io.attachApp(wrapAppForEngine(app, sidMesh.interceptors));
  // Sessions made here name this worker, so every other worker can route to it.
  io.engine.generateId = () => makeSid(self);
  app.any("/*", serveHttp);

  let publicListener: us_listen_socket | undefined;
  let privateListener: us_listen_socket | undefined;
  const listen = (host: string, port: number) =>
    new Promise<us_listen_socket | false>((resolve) => app.listen(host, port, (socket) => resolve(socket)));

  return {
    mesh,
    async listen() {
      // Private first, then join the mesh: the primary answers once every other worker knows
      // our private port. Only then do we take clients, so whichever worker a client's next
      // request lands on can route it to us (otherwise: "Session ID unknown", a failed upgrade).
      const privateSocket = await listen("127.0.0.1", 0);
      if (!privateSocket) throw new WorkerStartError("could not open a private loopback listener");
      privateListener = privateSocket;
      const privatePort = uws.us_socket_local_port(privateSocket as never);
      await channel.request("join-mesh", { privatePort }, 10_000).catch((err: Error) => {
        throw new WorkerStartError(`could not join the mesh: ${err.message}`);
      });
      const publicSocket = await listen(config.host, config.port);
      if (!publicSocket) throw new WorkerStartError(`could not listen on ${config.host}:${config.port} (address in use or not available)`);
      publicListener = publicSocket;
      return { privatePort };
    },
    stopAccepting() {
      // The kernel sends new connections to the workers still listening.
      if (publicListener) uws.us_listen_socket_close(publicListener);
      publicListener = undefined;
      // Relayed sessions belong to other workers, which stay up: hand them back to their
      // clients now, while this worker can still close them cleanly.
      sidMesh.closeRelays();
    },
    close() {
      if (privateListener) uws.us_listen_socket_close(privateListener);
      privateListener = undefined;
    },
  };
}
