// Room fan-out: one publisher, one room of `size` subscribers spread over the workers.
// The publisher keeps a bounded number of publishes in flight and a bounded backlog of
// undelivered messages, so we measure the server's sustained rate, not a queue filling up.
import { LatencyHistogram } from "../client/latency.js";
import { ackOk, sentAt, SocketIoWsClient } from "../client/socketio-ws.js";
import { nextSourceAddress } from "../client/source-addresses.js";
import type { RunningPeer } from "../peer-runner.js";
import type { Progress } from "../progress.js";
import { selfCpuSeconds } from "../proc-stats.js";
import { round2 } from "./connections.js";
import { joinAll } from "./join.js";

export interface FanoutResult {
  status: "ok" | "failed";
  reason?: string;
  roomSize: number;
  publishes: number;
  refusedPublishes: number;
  deliveries: number;
  expectedDeliveries: number;
  lostDeliveries: number;
  elapsedMs: number;
  deliveriesPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  serverCpuSeconds: number;
  serverCpuMicrosPerDelivery: number | null;
  deliveriesPerServerCpuSecond: number | null;
  clientCpuSeconds: number;
}

export interface FanoutOptions {
  durationMs: number;
  /** Deliveries allowed to be outstanding (published, not yet received). */
  maxBacklog: number;
  drainTimeoutMs: number;
  connectTimeoutMs: number;
}

export async function roomFanout(peer: RunningPeer, subscribers: SocketIoWsClient[], roomSize: number, options: FanoutOptions, progress: Progress): Promise<FanoutResult> {
  const room = `fan-${roomSize}-${Date.now().toString(36)}`;
  const members = subscribers.slice(0, roomSize);
  const empty = emptyResult(roomSize);
  if (members.length < roomSize) return { ...empty, status: "failed", reason: `only ${members.length} connections for a room of ${roomSize}` };
  const joined = await joinAll(members, room, options.connectTimeoutMs * 4);
  if (joined.failed > 0) return { ...empty, status: "failed", reason: `${joined.failed} joins failed (first: ${joined.firstError})` };

  const publisher = await SocketIoWsClient.connect({ url: peer.url, localAddress: nextSourceAddress(), timeoutMs: options.connectTimeoutMs });
  const histogram = new LatencyHistogram();
  let delivered = 0;
  let lastDeliveryAt = 0;
  let wake: () => void = () => {};
  const onMessage = (frame: Buffer) => {
    const now = performance.now();
    delivered += 1;
    lastDeliveryAt = now;
    const t = sentAt(frame);
    if (t === t) histogram.record(now - t);
    if ((delivered & 1023) === 0) wake();
  };
  for (const member of members) member.onMessage = onMessage;

  // Publishes in flight: enough to keep every worker busy, few enough not to flood.
  const window = Math.max(2, Math.min(64, Math.ceil(20_000 / roomSize)));
  let published = 0;
  let refused = 0;
  const usageBefore = peer.usage();
  const clientCpuBefore = selfCpuSeconds();
  const t0 = performance.now();
  const stopAt = t0 + options.durationMs;

  await new Promise<void>((resolve) => {
    let finished = false;
    const pump = () => {
      if (finished) return;
      const now = performance.now();
      if (now >= stopAt) {
        finished = true;
        return resolve();
      }
      while (publisher.inFlight < window && published * roomSize - delivered < options.maxBacklog) {
        published += 1;
        publisher.emitWithAck("publish", { room, type: "bench", data: { t: performance.now() } }, (frame) => {
          if (!ackOk(frame)) refused += 1;
          pump();
        });
      }
      progress.tick(() => `${peer.spec.id} fan-out ${roomSize}: ${delivered} deliveries`);
    };
    wake = pump;
    // Timers keep the loop going when neither an ack nor a delivery arrives.
    const interval = setInterval(pump, 5);
    const end = setTimeout(() => {
      clearInterval(interval);
      finished = true;
      resolve();
    }, options.durationMs + 10);
    pump();
    void end;
  });
  wake = () => {};
  const expected = (published - refused) * roomSize;
  const drainDeadline = performance.now() + options.drainTimeoutMs;
  while (delivered < expected && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 5));
  const usageAfter = peer.usage();
  const clientCpu = selfCpuSeconds() - clientCpuBefore;
  const elapsedMs = (delivered > 0 ? lastDeliveryAt : performance.now()) - t0;
  publisher.close();
  for (const member of members) member.onMessage = () => {};

  const cpu = usageAfter.cpuSeconds - usageBefore.cpuSeconds;
  const lat = histogram.summary();
  const result: FanoutResult = {
    status: delivered > 0 ? "ok" : "failed",
    roomSize,
    publishes: published,
    refusedPublishes: refused,
    deliveries: delivered,
    expectedDeliveries: expected,
    lostDeliveries: Math.max(0, expected - delivered),
    elapsedMs: Math.round(elapsedMs),
    deliveriesPerSecond: Math.round((delivered / elapsedMs) * 1000),
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    maxMs: lat.maxMs,
    serverCpuSeconds: round2(cpu),
    serverCpuMicrosPerDelivery: delivered > 0 ? round2((cpu * 1e6) / delivered) : null,
    deliveriesPerServerCpuSecond: cpu > 0 ? Math.round(delivered / cpu) : null,
    clientCpuSeconds: round2(clientCpu),
  };
  if (delivered === 0) result.reason = "no delivery arrived";
  return result;
}

function emptyResult(roomSize: number): FanoutResult {
  return {
    status: "failed",
    roomSize,
    publishes: 0,
    refusedPublishes: 0,
    deliveries: 0,
    expectedDeliveries: 0,
    lostDeliveries: 0,
    elapsedMs: 0,
    deliveriesPerSecond: 0,
    p50Ms: null,
    p99Ms: null,
    maxMs: null,
    serverCpuSeconds: 0,
    serverCpuMicrosPerDelivery: null,
    deliveriesPerServerCpuSecond: null,
    clientCpuSeconds: 0,
  };
}
