// The peers of the benchmark and how to start, watch and stop them. Each peer is a server
// on loopback that speaks the same join/publish protocol; a peer that cannot start is
// reported as unavailable with its reason, and the run goes on with the others.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { processTree, usageOf, type ProcessUsage } from "./proc-stats.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const PEERS_DIR = `${ROOT}bench/peers/`;
export const BENCH_API_KEY = "bench-api-key-0123456789";
const READY = /ready: (\d+) workers, engine (\w+), listening on http:\/\/([^\s:]+):(\d+)/;

export type PeerId = "edge-uws" | "edge-node" | "canonical" | "single" | "limit";

export interface PeerSpec {
  id: PeerId;
  label: string;
  workers: number;
  /** Serves Engine.IO long-polling (the limit peer speaks websocket only). */
  polling: boolean;
  /** Any worker takes any request and routes it to the session's owner (realtime-edge uws). */
  mesh: boolean;
  script: string;
  env: Record<string, string>;
}

const edgeEnv = (engine: string): Record<string, string> => ({
  WORKERS: "2",
  ENGINE: engine,
  API_KEY: BENCH_API_KEY,
  LOG_LEVEL: "info",
  // Stopping a peer with 10k clients should not wait the default 10 s drain.
  DRAIN_TIMEOUT_MS: "1000",
  // The load generator publishes as fast as the server takes it: lift the per-socket
  // publish rate limit (20/s by default), which the other peers do not have.
  PUBLISH_RATE: "1000000",
  PUBLISH_BURST: "1000000",
});

export const PEERS: readonly PeerSpec[] = [
  { id: "edge-uws", label: "realtime-edge (uws, 2 workers)", workers: 2, polling: true, mesh: true, script: `${ROOT}dist/cli.js`, env: edgeEnv("uws") },
  { id: "edge-node", label: "realtime-edge (node, 2 workers)", workers: 2, polling: true, mesh: false, script: `${ROOT}dist/cli.js`, env: edgeEnv("node") },
  { id: "canonical", label: "socket.io + sticky + cluster-adapter (2 workers)", workers: 2, polling: true, mesh: false, script: `${PEERS_DIR}canonical.mjs`, env: { WORKERS: "2" } },
  { id: "single", label: "socket.io, one process", workers: 1, polling: true, mesh: false, script: `${PEERS_DIR}single.mjs`, env: {} },
  { id: "limit", label: "bare uWebSockets.js (the limit)", workers: 1, polling: false, mesh: false, script: `${PEERS_DIR}limit.mjs`, env: {} },
];

export class PeerUnavailable extends Error {
  override readonly name = "PeerUnavailable";
}

export interface RunningPeer {
  spec: PeerSpec;
  url: string;
  port: number;
  process: ChildProcess;
  /** ms from spawn to the "ready" line (all workers listening). */
  readyLineMs: number;
  /** Every process of the peer right now (primary + workers). */
  pids(): number[];
  usage(): ProcessUsage;
  output(): string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (for cold starts, where we poll before the ready line). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  port?: number;
  readyTimeoutMs?: number;
  /** Called as soon as the process is spawned (cold start measures from here). */
  onSpawn?: (child: ChildProcess) => void;
  /** Extra server environment (e.g. a rate-limit setting from the command line). */
  env?: Record<string, string>;
  /**
   * Profile the peer: node --cpu-prof in the primary, which cluster workers inherit through
   * execArgv (NODE_OPTIONS refuses the flag). Profiles are written at exit, so stopping
   * waits longer before it kills what is left.
   */
  cpuProfDir?: string;
}

/** How long a stopped peer's workers get to exit by themselves before they are killed. */
const EXIT_GRACE_MS = 200;
const EXIT_GRACE_PROFILING_MS = 5_000;

export async function startPeer(spec: PeerSpec, options: StartOptions = {}): Promise<RunningPeer> {
  const started = performance.now();
  const nodeArgs = options.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, spec.script], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: "127.0.0.1",
      PORT: String(options.port ?? 0),
      ...spec.env,
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  options.onSpawn?.(child);
  // Keep only the tail: a long run must not grow the harness's memory with server logs.
  let output = "";
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 65_536) output = output.slice(-32_768);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const readyLineMs = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => done(new PeerUnavailable(`not ready within ${options.readyTimeoutMs ?? 30_000} ms: ${tail(output)}`)), options.readyTimeoutMs ?? 30_000);
    const check = () => {
      if (READY.test(output)) done();
    };
    const onExit = (code: number | null) => done(new PeerUnavailable(`exited with code ${code} before ready: ${tail(output)}`));
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.stdout!.off("data", check);
      child.off("exit", onExit);
      if (err) {
        child.kill("SIGKILL");
        reject(err);
      } else resolve(performance.now() - started);
    };
    child.stdout!.on("data", check);
    child.once("exit", onExit);
    check();
  });
  const match = READY.exec(output)!;
  const port = Number(match[4]);
  const rootPid = child.pid!;
  let knownPids = processTree(rootPid);

  const pids = () => {
    const now = processTree(rootPid);
    if (now.length > 0 && usageOf([rootPid]).pids.length > 0) knownPids = now;
    return knownPids;
  };

  return {
    spec,
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    readyLineMs,
    pids,
    usage: () => usageOf(pids()),
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const tree = pids();
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        // Only the processes this peer started, by pid.
        for (const pid of tree) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            /* already gone */
          }
        }
      }, 5_000);
      await exited;
      clearTimeout(timer);
      // Workers of a primary that exited are told by IPC; give them a moment, then make sure.
      await new Promise((r) => setTimeout(r, options.cpuProfDir ? EXIT_GRACE_PROFILING_MS : EXIT_GRACE_MS));
      for (const pid of usageOf(tree).pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    },
  };
}

/** The part of a server's output that says why it stopped: the first error lines, else the last ones. */
function tail(output: string): string {
  const all = output.trim().split("\n");
  const firstError = all.findIndex((l) => /error|invalid|cannot|not available|unavailable/i.test(l));
  const lines = (firstError >= 0 ? all.slice(firstError, firstError + 3) : all.slice(-3)).map((l) => l.trim()).join(" | ");
  return lines.length > 400 ? `${lines.slice(0, 400)}…` : lines || "(no output)";
}
