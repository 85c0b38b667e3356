// The node engine: Node's http.Server in each worker, fed by @socket.io/sticky's primary,
// which owns the public port and hands each connection to the worker that holds its sid.
// Same Socket.IO server, handlers, adapter and HTTP app as the uws engine.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { setupWorker } from "@socket.io/sticky";
import { newMeshStats } from "../mesh/index.js";
import type { Engine, EngineDeps } from "./engine.js";

/** A generated sid whose handshake did not complete is forgotten after this. */
const ABANDONED_HANDSHAKE_MS = 30_000;

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

  announceSessionsBeforeHandshake(deps);

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

/**
 * @socket.io/sticky's primary learns which worker holds a sid from a "sticky:connection"
 * message that its setupWorker() sends when engine.io emits "connection", which is after
 * the handshake response has left. Under load the client's next request can reach the
 * primary before that message, be sent to another worker, and fail with "Session ID
 * unknown". So the worker announces the sid from engine.io's (async) generateId, before
 * the response exists, and waits for the primary to confirm it has read the announcement.
 * setupWorker() is given the real server but not the engine, so it does not announce twice.
 */
function announceSessionsBeforeHandshake({ io, channel, log }: EngineDeps): void {
  const engine = io.engine;
  const generate = engine.generateId.bind(engine) as (req: IncomingMessage) => string | Promise<string>;
  const pending = new Map<string, NodeJS.Timeout>();
  const tell = (type: "sticky:connection" | "sticky:disconnection", sid: string) => {
    if (process.connected) process.send?.({ type, data: sid }, undefined, {}, () => {});
  };

  engine.generateId = async (req: IncomingMessage) => {
    const sid = await generate(req);
    tell("sticky:connection", sid);
    // Messages from one worker are handled in order: once "sync" is answered, the primary
    // has bound the sid to this worker.
    await channel.request("sync", {}).catch((err: Error) => log.warn("primary did not confirm a new session", { code: "sticky_sync_failed", error: err }));
    pending.set(
      sid,
      setTimeout(() => {
        pending.delete(sid);
        tell("sticky:disconnection", sid);
      }, ABANDONED_HANDSHAKE_MS).unref(),
    );
    return sid;
  };
  engine.on("connection", (socket: { id: string; once(event: "close", fn: () => void): void }) => {
    clearTimeout(pending.get(socket.id));
    pending.delete(socket.id);
    socket.once("close", () => tell("sticky:disconnection", socket.id));
  });

  setupWorker({ httpServer: io.httpServer, engine: { on: () => {} } } as unknown as Parameters<typeof setupWorker>[0]);
}
