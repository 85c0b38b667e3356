// The node engine: Node's http.Server in each worker, fed by @socket.io/sticky's primary,
// which owns the public port and hands each connection to the worker that holds its sid.
// Same Socket.IO server, handlers, adapter and HTTP app as the uws engine.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { setupWorker } from "@socket.io/sticky";
import { newMeshStats } from "../mesh/index.js";
import type { Engine, EngineDeps } from "./engine.js";

export function createNodeEngine(deps: EngineDeps): Engine {
  const { config, io, http, inFlight } = deps;
  const honoListener = getRequestListener((request, env) => http.fetch(request, { remoteAddress: env.incoming.socket.remoteAddress ?? "" }));
  const serveHttp = (req: IncomingMessage, res: ServerResponse) => {
    inFlight.start();
    res.once("close", () => inFlight.end());
    void honoListener(req, res);
  };
  const server = createServer(serveHttp);
  io.attach(server);

  // engine.io took over the "request" listeners (calling ours for other paths). Put CORS
  // preflights for the Socket.IO path in front of it, so Hono answers them as in uws.
  const socketPathPrefix = `${config.socketPath}/`;
  const engineListeners = server.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "OPTIONS" && (req.url ?? "").startsWith(socketPathPrefix)) return serveHttp(req, res);
    for (const listener of engineListeners) listener.call(server, req, res);
  });

  setupWorker(io);

  return {
    mesh: newMeshStats(),
    async listen() {
      // The primary listens and passes connections over IPC: nothing to bind here.
      return {};
    },
    stopAccepting() {
      // The primary stops accepting; connections already handed over finish here.
    },
    close() {
      server.close();
    },
  };
}
