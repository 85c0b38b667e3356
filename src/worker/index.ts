// A worker: one Socket.IO server (cluster adapter: rooms span workers), one Hono app, put on
// the network by the engine the primary chose (uws, or node with @socket.io/sticky).
import { Server } from "socket.io";
import { createLogger, setLogLevel } from "../log.js";
import { WorkerChannel } from "../ipc/worker-channel.js";
import { AdapterBus, createBatchedClusterAdapter } from "../adapter/index.js";
import { createHttpApp, type Readiness } from "../http/app.js";
import { corsPolicy } from "../http/cors-policy.js";
import { InFlight } from "../http/uws-fetch-bridge.js";
import { registerRealtime, socketServerOptions } from "../realtime/index.js";
import { loadNativeUws } from "./uws-native.js";
import { createUwsEngine } from "./uws-engine.js";
import { createNodeEngine } from "./node-engine.js";
import { WorkerStartError, type Engine } from "./engine.js";
import type { WorkerContext } from "./context.js";

export { WorkerStartError } from "./engine.js";

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

  const cors = corsPolicy(config.corsOrigins);
  const inFlight = new InFlight();
  let listening = false;
  let draining = false;

  const readiness = (): Readiness => {
    if (draining) return { ready: false, reason: "draining" };
    if (!listening) return { ready: false, reason: "not listening" };
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

  const io = new Server({
    path: config.socketPath,
    adapter: createBatchedClusterAdapter(new AdapterBus(log.child("adapter"))),
    ...socketServerOptions(config),
    cors: {
      origin: (origin, callback) => callback(null, cors.allow(origin) ?? false),
      credentials: cors.credentials,
    },
  });

  const deps = { context, config, io, http, cors, inFlight, channel, log };
  let engine: Engine;
  if (context.engine === "uws") {
    const loaded = loadNativeUws();
    if (!loaded.ok) return fail(`uWebSockets.js native binary unavailable: ${loaded.reason}`);
    engine = createUwsEngine(loaded.uws, deps);
  } else {
    engine = createNodeEngine(deps);
  }
  const realtime = registerRealtime(io, {
    config,
    claimMessageId: (key, timestamp) => channel.request("claim-message-id", { key, timestamp }),
    slot,
    log: log.child("realtime"),
  });

  channel.onQuery("ping", () => ({}));
  channel.onQuery("stats", () => ({ slot, pid: process.pid, connections: io.engine.clientsCount, ...engine.mesh }));

  let privatePort: number | undefined;
  try {
    ({ privatePort } = await engine.listen());
  } catch (err) {
    return fail((err as Error).message);
  }
  listening = true;
  log.info("listening", { engine: context.engine, address: `${config.host}:${config.port}`, privatePort, pid: process.pid, incarnation: context.incarnation });
  channel.send({ kind: "listening", slot, privatePort });

  const drain = async (why: string) => {
    if (draining) return;
    draining = true;
    log.info("draining", { why, connections: io.engine.clientsCount });
    engine.stopAccepting();
    // Closing the transports (not a Socket.IO "disconnect") makes stock clients reconnect
    // by themselves, to whichever server is there to take them.
    await new Promise<void>((resolve) => io.close(() => resolve()));
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.drainTimeoutMs).unref());
    await Promise.race([inFlight.idle(), deadline]);
    engine.close();
    log.info("drained");
    // Idle keep-alive connections would hold the process open; it is done, so end it.
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
