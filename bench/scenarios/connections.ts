// Connection storm and idle capacity: open N websocket-first Socket.IO sessions as fast as
// the server takes them (bounded concurrency and time), then measure the server's memory
// per idle connection.
import { SocketIoWsClient } from "../client/socketio-ws.js";
import { nextSourceAddress } from "../client/source-addresses.js";
import type { RunningPeer } from "../peer-runner.js";
import { sleep, type Progress } from "../progress.js";

export interface StormResult {
  status: "ok" | "failed";
  reason?: string;
  target: number;
  connected: number;
  failed: number;
  firstError?: string;
  elapsedMs: number;
  connectionsPerSecond: number;
  serverCpuSeconds: number;
}

export interface IdleResult {
  status: "ok" | "failed";
  reason?: string;
  connections: number;
  baselineRssBytes: number;
  rssBytes: number;
  rssBytesPerConnection: number;
  rssKbPerConnection: number;
}

export interface StormOptions {
  count: number;
  concurrency: number;
  timeBudgetMs: number;
  connectTimeoutMs: number;
}

/** Opens up to `count` sessions; stops at the count, the time budget, or 1% failures. */
export async function connectionStorm(peer: RunningPeer, options: StormOptions, progress: Progress): Promise<{ result: StormResult; clients: SocketIoWsClient[] }> {
  const clients: SocketIoWsClient[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let started = 0;
  const cpuBefore = peer.usage().cpuSeconds;
  const t0 = performance.now();
  const deadline = t0 + options.timeBudgetMs;
  const maxFailures = Math.max(10, Math.ceil(options.count / 100));

  const worker = async () => {
    while (started < options.count && performance.now() < deadline && failed < maxFailures) {
      started += 1;
      try {
        clients.push(await SocketIoWsClient.connect({ url: peer.url, localAddress: nextSourceAddress(), timeoutMs: options.connectTimeoutMs }));
      } catch (err) {
        failed += 1;
        firstError ??= (err as Error).message;
      }
      progress.tick(() => `${peer.spec.id} storm: ${clients.length}/${options.count} connected, ${failed} failed`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  const elapsedMs = performance.now() - t0;
  const result: StormResult = {
    status: clients.length === options.count ? "ok" : "failed",
    target: options.count,
    connected: clients.length,
    failed,
    elapsedMs: Math.round(elapsedMs),
    connectionsPerSecond: Math.round((clients.length / elapsedMs) * 1000),
    serverCpuSeconds: round2(peer.usage().cpuSeconds - cpuBefore),
  };
  if (firstError) result.firstError = firstError;
  if (result.status === "failed") {
    result.reason = performance.now() >= deadline ? `time budget of ${options.timeBudgetMs} ms ran out` : `${failed} connections failed (first: ${firstError})`;
  }
  return { result, clients };
}

/** Server RSS per idle connection: (RSS with the clients − RSS before them) / clients. */
export async function idleCapacity(peer: RunningPeer, baselineRssBytes: number, clients: SocketIoWsClient[], settleMs: number): Promise<IdleResult> {
  await sleep(settleMs);
  const open = clients.filter((c) => c.isOpen).length;
  const rssBytes = peer.usage().rssBytes;
  const perConnection = open > 0 ? (rssBytes - baselineRssBytes) / open : 0;
  return {
    status: open > 0 ? "ok" : "failed",
    ...(open > 0 ? {} : { reason: "no open connection to measure" }),
    connections: open,
    baselineRssBytes,
    rssBytes,
    rssBytesPerConnection: Math.round(perConnection),
    rssKbPerConnection: round2(perConnection / 1024),
  };
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
