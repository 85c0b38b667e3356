// Cold start: from spawning the server to the first `GET /readyz` answered 200, polled
// every few milliseconds on a port chosen beforehand; also the time to the "ready" line
// (every worker listening). The peer is stopped after each run.
import { request } from "node:http";
import { freePort, startPeer, type PeerSpec } from "../peer-runner.js";

export interface ColdStartResult {
  status: "ok" | "failed";
  reason?: string;
  runs: number;
  readyzMs: number[];
  readyLineMs: number[];
  medianReadyzMs: number | null;
  medianReadyLineMs: number | null;
}

function readyzOk(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/readyz", timeout: 500, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export async function coldStart(spec: PeerSpec, runs: number, env: Record<string, string>): Promise<ColdStartResult> {
  const readyzMs: number[] = [];
  const readyLineMs: number[] = [];
  let reason: string | undefined;
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    let spawnedAt = 0;
    let readyzAt = 0;
    let polling = true;
    const poll = async () => {
      const deadline = performance.now() + 30_000;
      while (polling && performance.now() < deadline) {
        if (await readyzOk(port)) {
          readyzAt = performance.now();
          return;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    let poller: Promise<void> = Promise.resolve();
    try {
      const peer = await startPeer(spec, {
        port,
        env,
        onSpawn: () => {
          spawnedAt = performance.now();
          poller = poll();
        },
      });
      await poller;
      polling = false;
      if (readyzAt > 0) readyzMs.push(Math.round(readyzAt - spawnedAt));
      readyLineMs.push(Math.round(peer.readyLineMs));
      await peer.stop();
    } catch (err) {
      polling = false;
      reason = (err as Error).message;
      break;
    }
  }
  const ok = readyzMs.length > 0;
  return {
    status: ok ? "ok" : "failed",
    ...(ok ? {} : { reason: reason ?? "/readyz never answered 200" }),
    runs: readyzMs.length,
    readyzMs,
    readyLineMs,
    medianReadyzMs: median(readyzMs),
    medianReadyLineMs: median(readyLineMs),
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
