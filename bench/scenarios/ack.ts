// Request/ack round trip: `publish` to a room nobody joined, answered by an ack. First at
// fixed offered rates (open loop: sends follow the clock, not the answers, so a slow server
// shows up as latency), then closed loop at the highest rate the server sustains.
import { LatencyHistogram } from "../client/latency.js";
import { ackOk, type SocketIoWsClient } from "../client/socketio-ws.js";
import type { RunningPeer } from "../peer-runner.js";
import type { Progress } from "../progress.js";
import { round2 } from "./connections.js";

export interface AckRateResult {
  mode: "fixed" | "max";
  offeredPerSecond: number | null;
  sent: number;
  acked: number;
  refused: number;
  achievedPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  serverCpuSeconds: number;
  serverCpuMicrosPerRequest: number | null;
}

export interface AckResult {
  status: "ok" | "failed";
  reason?: string;
  clients: number;
  fixed: AckRateResult[];
  max: AckRateResult | null;
}

export interface AckOptions {
  rates: number[];
  durationMs: number;
  /** Requests in flight per client in the closed-loop (max rate) run. */
  maxWindowPerClient: number;
  drainTimeoutMs: number;
}

export async function ackRoundTrip(peer: RunningPeer, clients: SocketIoWsClient[], options: AckOptions, progress: Progress): Promise<AckResult> {
  if (clients.length === 0) return { status: "failed", reason: "no clients", clients: 0, fixed: [], max: null };
  const fixed: AckRateResult[] = [];
  for (const rate of options.rates) {
    fixed.push(await run(peer, clients, options, rate, progress));
  }
  const max = await run(peer, clients, options, null, progress);
  const anyAcked = fixed.some((r) => r.acked > 0) || max.acked > 0;
  return { status: anyAcked ? "ok" : "failed", ...(anyAcked ? {} : { reason: "no ack arrived" }), clients: clients.length, fixed, max };
}

async function run(peer: RunningPeer, clients: SocketIoWsClient[], options: AckOptions, rate: number | null, progress: Progress): Promise<AckRateResult> {
  const histogram = new LatencyHistogram();
  let sent = 0;
  let acked = 0;
  let refused = 0;
  let turn = 0;
  const room = `ack-nobody-${Date.now().toString(36)}`;
  const usageBefore = peer.usage();
  const t0 = performance.now();
  const stopAt = t0 + options.durationMs;
  let sending = true;

  const send = (client: SocketIoWsClient, onAck?: () => void) => {
    const at = performance.now();
    sent += 1;
    client.emitWithAck("publish", { room, type: "ack", data: { t: at } }, (frame) => {
      histogram.record(performance.now() - at);
      acked += 1;
      if (!ackOk(frame)) refused += 1;
      onAck?.();
    });
  };

  await new Promise<void>((resolve) => {
    if (rate !== null) {
      // Open loop: every millisecond, send what the clock says is due, round-robin.
      const timer = setInterval(() => {
        const now = performance.now();
        if (now >= stopAt) {
          clearInterval(timer);
          sending = false;
          return resolve();
        }
        const due = Math.floor(((now - t0) / 1000) * rate) - sent;
        for (let i = 0; i < due; i++) send(clients[turn++ % clients.length]!);
        progress.tick(() => `${peer.spec.id} ack @${rate}/s: ${acked} acks`);
      }, 1);
    } else {
      const loop = (client: SocketIoWsClient) => {
        if (!sending) return;
        if (performance.now() >= stopAt) {
          sending = false;
          return;
        }
        send(client, () => loop(client));
      };
      for (const client of clients) for (let w = 0; w < options.maxWindowPerClient; w++) loop(client);
      const ticker = setInterval(() => progress.tick(() => `${peer.spec.id} ack max: ${acked} acks`), 250);
      setTimeout(() => {
        clearInterval(ticker);
        sending = false;
        resolve();
      }, options.durationMs);
    }
  });
  const drainDeadline = performance.now() + options.drainTimeoutMs;
  while (acked < sent && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 5));
  const cpu = peer.usage().cpuSeconds - usageBefore.cpuSeconds;
  const elapsedMs = performance.now() - t0;
  const lat = histogram.summary();
  return {
    mode: rate === null ? "max" : "fixed",
    offeredPerSecond: rate,
    sent,
    acked,
    refused,
    achievedPerSecond: Math.round((acked / elapsedMs) * 1000),
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    maxMs: lat.maxMs,
    serverCpuSeconds: round2(cpu),
    serverCpuMicrosPerRequest: acked > 0 ? round2((cpu * 1e6) / acked) : null,
  };
}
