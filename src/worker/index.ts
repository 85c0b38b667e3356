// A worker: one uWS App listening on the public port (SO_REUSEPORT: the kernel spreads
// connections over the workers) and on a private loopback port (for the mesh), serving
// Socket.IO through `attachApp` and every other route through Hono.
import { createAdapter } from "@socket.io/cluster-adapter";
import { Server } from "socket.io";
import type { us_listen_socket } from "uWebSockets.js";
import { createLogger, setLogLevel } from "../log.js";
import { WorkerChannel } from "../ipc/worker-channel.js";
import { createHttpApp, type Readiness } from "../http/app.js";
import { corsPolicy } from "../http/cors-policy.js";
import { InFlight, serveWithFetch } from "../http/uws-fetch-bridge.js";
import { registerRealtime, socketServerOptions } from "../realtime/index.js";
import { loadNativeUws, type Uws } from "./uws-native.js";
import { wrapAppForEngine } from "./engine-app.js";
import type { WorkerContext } from "./context.js";

/** A start-up failure already logged and reported to the primary. */
export class WorkerStartError extends Error {
  override readonly name = "WorkerStartError";
}

export async function startWorker(context: WorkerContext): Promise<void> {
  const { slot, config } = context;
  setLogLevel(config.logLevel);
  const log = createLogger(`worker ${slot}`);
  const channel = new WorkerChannel(log);

  const fail = (reason: string): never => {
    log.error(`cannot start: ${reason}`, { code: "worker_start_failed" });
    channel.send({ kind: "startup-failed", slot, reason });
    throw new WorkerStartError(reason);
  };

  const loaded = loadNativeUws();
  if (!loaded.ok) return fail(`uWebSockets.js native binary unavailable: ${loaded.reason}`);
  const uws: Uws = loaded.uws;

  const app = uws.App();
  const cors = corsPolicy(config.corsOrigins);
  const inFlight = new InFlight();
  let publicListener: us_listen_socket | undefined;
  let privateListener: us_listen_socket | undefined;
  let draining = false;

  const readiness = (): Readiness => {
    if (draining) return { ready: false, reason: "draining" };
    if (!publicListener) return { ready: false, reason: "not listening" };
    // The cluster adapter speaks over the IPC channel: without it rooms stop spanning workers.
    if (!channel.connected) return { ready: false, reason: "cluster adapter disconnected from the primary" };
    return { ready: true };
  };

  const http = createHttpApp({
    slot,
    socketPath: config.socketPath,
    apiKey: config.apiKey,
    cors,
    readiness,
    clusterStats: () => channel.request("stats", {}),
    // A getter: the realtime side is set up below, once `io` exists; routes run later.
    realtime: () => realtime,
    log: log.child("http"),
  });
  const bridgeOptions = { maxBodyBytes: config.maxBodyBytes };
  const serveHttp = (res: Parameters<typeof serveWithFetch>[0], req: Parameters<typeof serveWithFetch>[1]) =>
    serveWithFetch(res, req, (request, env) => http.fetch(request, env), bridgeOptions, inFlight);

  const io = new Server({
    path: config.socketPath,
    adapter: createAdapter(),
    ...socketServerOptions(config),
    cors: {
      origin: (origin, callback) => callback(null, cors.allow(origin) ?? false),
      credentials: cors.credentials,
    },
  });

  const engineApp = wrapAppForEngine(app, {
    // Preflights for the Socket.IO path are answered by Hono's cors middleware, from the
    // same allowlist, so the API and Socket.IO cannot disagree.
    http: (engineHandler) => (res, req) => {
      if (req.getMethod() === "options") return serveHttp(res, req);
      return engineHandler(res, req);
    },
  });
  io.attachApp(engineApp);
  const realtime = registerRealtime(io, {
    config,
    claimMessageId: (key, timestamp) => channel.request("claim-message-id", { key, timestamp }),
    slot,
    log: log.child("realtime"),
  });
  app.any("/*", serveHttp);

  channel.onQuery("stats", () => ({ slot, pid: process.pid, connections: io.engine.clientsCount }));

  const listen = (host: string, port: number) =>
    new Promise<us_listen_socket | false>((resolve) => app.listen(host, port, (socket) => resolve(socket)));

  const publicSocket = await listen(config.host, config.port);
  if (!publicSocket) return fail(`could not listen on ${config.host}:${config.port} (address in use or not available)`);
  publicListener = publicSocket;
  const privateSocket = await listen("127.0.0.1", 0);
  if (!privateSocket) return fail("could not open a private loopback listener");
  privateListener = privateSocket;
  const privatePort = uws.us_socket_local_port(privateSocket as unknown as Parameters<Uws["us_socket_local_port"]>[0]);

  log.info("listening", { engine: "uws", address: `${config.host}:${config.port}`, privatePort, pid: process.pid });
  channel.send({ kind: "listening", slot, privatePort });

  const drain = async (why: string) => {
    if (draining) return;
    draining = true;
    log.info("draining", { why, connections: io.engine.clientsCount });
    // Stop taking new connections; the kernel sends them to workers still listening.
    if (publicListener) uws.us_listen_socket_close(publicListener);
    publicListener = undefined;
    // Closing the transports (not a Socket.IO "disconnect") makes stock clients reconnect
    // by themselves, to whichever server is there to take them.
    await new Promise<void>((resolve) => io.close(() => resolve()));
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.drainTimeoutMs).unref());
    await Promise.race([inFlight.idle(), deadline]);
    if (privateListener) uws.us_listen_socket_close(privateListener);
    privateListener = undefined;
    log.info("drained");
    // uWS keeps idle keep-alive connections open; the process is done, so end it here.
    setTimeout(() => process.exit(0), 20);
  };

  channel.onPush((push) => {
    if (push.kind === "drain") void drain("asked by the primary");
  });
  process.on("SIGTERM", () => void drain("SIGTERM"));
  process.on("SIGINT", () => void drain("SIGINT"));
  // Without the primary there is no adapter and no supervision: leave rather than linger.
  process.on("disconnect", () => void drain("the primary went away"));
}
