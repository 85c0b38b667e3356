// The primary: picks the engine, forks and supervises the workers, hosts the cluster
// adapter's hub and answers the workers' cluster-wide questions. It never carries client
// traffic.
import cluster from "node:cluster";
import { createServer, type Server as HttpServer } from "node:http";
import { performance } from "node:perf_hooks";
import { setupAdapterHub } from "../adapter/index.js";
import { setupMaster as setupStickyMaster } from "@socket.io/sticky";
import type { Config } from "../config.js";
import { createLogger, setLogLevel } from "../log.js";
import { loadNativeUws } from "../worker/uws-native.js";
import { Supervisor } from "./supervisor.js";
import { QueryFanOut } from "./query-fan-out.js";
import { findFreePort } from "./free-port.js";
import { operations } from "../ipc/messages.js";
import type { RunningEngine } from "../worker/context.js";
import { IdempotencyWindow } from "./idempotency-window.js";

export async function startPrimary(config: Config): Promise<void> {
  setLogLevel(config.logLevel);
  const log = createLogger("primary");

  const engine = chooseEngine(config);
  if (!engine.ok) {
    log.error(engine.reason, { code: "engine_unavailable" });
    process.exit(engine.exitCode);
  }
  log.info(`engine ${engine.name}: ${engine.why}`);
  if (config.jwtSecret === undefined && config.jwtPublicKey === undefined) {
    log.warn("anonymous mode: no JWT_SECRET or JWT_PUBLIC_KEY is set, so every socket is its own user and may join any room as a member");
  }

  // The node engine's primary owns the public port (sticky routing); uws workers share it.
  let stickyServer: HttpServer | undefined;
  let port: number;
  if (engine.name === "node") {
    stickyServer = createServer();
    setupStickyMaster(stickyServer, { loadBalancingMethod: "least-connection" });
    port = await listenSticky(stickyServer, config.host, config.port).catch((err: Error) => {
      log.error(`cannot listen on ${config.host}:${config.port}: ${err.message}`, { code: "listen_failed" });
      process.exit(1);
    });
  } else {
    port = config.port === 0 ? await findFreePort(config.host) : config.port;
  }
  const resolved: Config = { ...config, port };

  setupAdapterHub(log.child("adapter"));
  // Workers get their configuration from the primary, not from the command line.
  // "advanced" (structured clone) IPC keeps Buffers intact: @socket.io/sticky passes request
  // bytes that way, and the cluster adapter carries binary Socket.IO payloads.
  cluster.setupPrimary({ args: [], serialization: "advanced" });

  const fanOut = new QueryFanOut();
  const idempotency = new IdempotencyWindow(resolved.idempotencyWindowMs);
  const supervisor: Supervisor = new Supervisor(resolved, engine.name, log, {
    allReady: () => {
      const ms = Math.round(performance.now());
      log.info(`ready: ${resolved.workers} workers, engine ${engine.name}, listening on http://${formatHost(resolved.host)}:${port}, ${ms} ms from start`);
    },
    fatal: (reason) => {
      log.error(`giving up: ${reason}`, { code: "worker_crash_loop" });
      supervisor.killAll();
      process.exit(1);
    },
    request: (worker, message) => {
      const answer = (body: { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } }) =>
        supervisor.send(worker, { kind: "response", id: message.id, ...body });
      const payload = operations[message.op].payload.safeParse(message.payload);
      if (!payload.success) return answer({ ok: false, error: { code: "ipc_invalid", message: `bad payload for ${message.op}` } });
      switch (message.op) {
        case "sync":
          return answer({ ok: true, result: {} });
        case "join-mesh": {
          const { privatePort } = operations["join-mesh"].payload.parse(message.payload);
          if (!supervisor.joinMesh(worker, privatePort)) return answer({ ok: false, error: { code: "unknown_worker", message: "this worker has no slot" } });
          // The peer table went out before the ping; each answer proves a worker applied it.
          // A worker that does not answer in time must not hold a new worker back.
          void fanOut.ask(supervisor, "ping", 2_000).then(() => answer({ ok: true, result: {} }));
          return;
        }
        case "stats":
          void fanOut
            .ask(supervisor, "stats", 1_000)
            .then(({ results, missing }) => answer({ ok: true, result: { workers: results, missing } }));
          return;
        case "claim-message-id": {
          const { key, timestamp } = operations["claim-message-id"].payload.parse(message.payload);
          answer({ ok: true, result: idempotency.claim(key, timestamp) });
          return;
        }
      }
    },
    queryReply: (worker, message) => fanOut.onReply(worker, message),
  });
  supervisor.start();

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: stopping now without draining`);
      supervisor.killAll();
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: draining`, { drainTimeoutMs: resolved.drainTimeoutMs });
    stickyServer?.close();
    // Workers get a little longer than their own drain timeout to close and exit.
    const { forced } = await supervisor.shutdown(resolved.drainTimeoutMs + 2_000);
    if (forced > 0) log.warn("drain timeout passed; killed the workers still running", { forced });
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGHUP", () => {
    if (stopping) return;
    log.info("SIGHUP: rolling restart, one worker at a time");
    void supervisor.rollingRestart(resolved.drainTimeoutMs + 2_000).then(({ replaced, stoppedAt }) => {
      if (stoppedAt !== undefined) log.error(`rolling restart stopped: the new worker of slot ${stoppedAt} did not start; the old one keeps serving`, { code: "rolling_restart_failed", replaced });
      else log.info("rolling restart done", { replaced });
    });
  });
}

type EngineChoice = { ok: true; name: RunningEngine; why: string } | { ok: false; reason: string; exitCode: number };

function chooseEngine(config: Config): EngineChoice {
  if (config.engine === "node") return { ok: true, name: "node", why: "chosen by ENGINE=node (http.Server + @socket.io/sticky)" };
  const uws = loadNativeUws();
  if (uws.ok) return { ok: true, name: "uws", why: `native uWebSockets.js loaded (${uws.binary.split("/").pop()})` };
  if (config.engine === "auto") {
    return { ok: true, name: "node", why: `ENGINE=auto and the uws engine cannot run here: ${uws.reason}` };
  }
  return {
    ok: false,
    exitCode: 1,
    reason: `ENGINE=uws cannot run: ${uws.reason}. The JavaScript fallback of the uWebSockets.js package is never used; ENGINE=node or auto runs on Node's http.Server instead.`,
  };
}

function listenSticky(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
