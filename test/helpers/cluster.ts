// Starts the real server (dist/cli.js, as `npm start` runs it) on an ephemeral loopback
// port and gives tests its address, its output and ways to stop it.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { once } from "node:events";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = `${ROOT}dist/cli.js`;
export const API_KEY = "test-api-key-0123456789";

const READY = /ready: (\d+) workers, engine (\w+), listening on http:\/\/([^\s:]+):(\d+)/;

export interface RunningCluster {
  url: string;
  port: number;
  engine: string;
  process: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends a signal and resolves with the exit code once the primary is gone. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  args?: string[];
  readyTimeoutMs?: number;
}

export async function startCluster(options: StartOptions = {}): Promise<RunningCluster> {
  const child = spawn(process.execPath, [CLI, ...(options.args ?? [])], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: "0",
      HOST: "127.0.0.1",
      WORKERS: "2",
      API_KEY,
      LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = once(child, "exit");

  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern);
        if (match) {
          cleanup();
          resolve(match);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} in:\n${output}`));
      }, timeoutMs);
      const onExit = () => {
        check();
        cleanup();
        reject(new Error(`server exited while waiting for ${pattern}:\n${output}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off("exit", onExit);
      };
      listeners.add(check);
      child.once("exit", onExit);
      check();
    });

  let ready: RegExpMatchArray;
  try {
    ready = await waitForOutput(READY, options.readyTimeoutMs ?? 45_000);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  const port = Number(ready[4]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    engine: ready[2]!,
    process: child,
    output: () => output,
    waitForOutput,
    async stop(signal = "SIGTERM", timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs the CLI to completion (for configurations that must refuse to start). */
export async function runCli(env: Record<string, string>, args: string[] = [], timeoutMs = 20_000): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, output, ms: Date.now() - started };
}
