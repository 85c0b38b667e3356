// The figures the table and the chart show, read out of the results in one place so the
// two can never disagree.
import type { PeerResults, BenchResults } from "../results.js";
import type { FanoutResult } from "../scenarios/fanout.js";

export interface Metric {
  key: string;
  label: string;
  unit: string;
  better: "higher" | "lower";
  value(peer: PeerResults): number | null;
  /** Shown in the chart. */
  chart?: boolean;
}

const ok = <T extends { status: string }>(v: T | { status: string } | undefined): T | undefined => (v && v.status === "ok" ? (v as T) : undefined);

function fanout(peer: PeerResults, size: number): FanoutResult | undefined {
  return Array.isArray(peer.fanout) ? peer.fanout.find((f) => f.roomSize === size && f.status === "ok") : undefined;
}

export function metricsFor(results: BenchResults): Metric[] {
  const sizes = (results.setup.sizes.roomSizes as number[] | undefined) ?? [];
  const rates = (results.setup.sizes.ackRates as number[] | undefined) ?? [];
  const metrics: Metric[] = [
    { key: "coldStartMs", label: "cold start, spawn → /readyz 200", unit: "ms", better: "lower", chart: true, value: (p) => ok<{ status: string; medianReadyzMs: number | null }>(p.coldStart)?.medianReadyzMs ?? null },
    { key: "readyLineMs", label: "cold start, spawn → all workers listening", unit: "ms", better: "lower", value: (p) => ok<{ status: string; medianReadyLineMs: number | null }>(p.coldStart)?.medianReadyLineMs ?? null },
    { key: "stormPerSecond", label: "connection storm", unit: "conn/s", better: "higher", chart: true, value: (p) => (p.storm && "connectionsPerSecond" in p.storm && p.storm.connected > 0 ? p.storm.connectionsPerSecond : null) },
    { key: "idleKb", label: "server RSS per idle connection", unit: "KB", better: "lower", chart: true, value: (p) => ok<{ status: string; rssKbPerConnection: number }>(p.idle)?.rssKbPerConnection ?? null },
  ];
  for (const size of sizes) {
    metrics.push(
      { key: `fanout${size}`, label: `fan-out, room of ${size}`, unit: "deliveries/s", better: "higher", chart: true, value: (p) => fanout(p, size)?.deliveriesPerSecond ?? null },
      { key: `fanout${size}p50`, label: `fan-out ${size}, p50 latency`, unit: "ms", better: "lower", value: (p) => fanout(p, size)?.p50Ms ?? null },
      { key: `fanout${size}p99`, label: `fan-out ${size}, p99 latency`, unit: "ms", better: "lower", value: (p) => fanout(p, size)?.p99Ms ?? null },
      { key: `fanout${size}cpu`, label: `fan-out ${size}, server CPU per delivery`, unit: "µs", better: "lower", value: (p) => fanout(p, size)?.serverCpuMicrosPerDelivery ?? null },
      { key: `fanout${size}lost`, label: `fan-out ${size}, deliveries missing at the end`, unit: "", better: "lower", value: (p) => fanout(p, size)?.lostDeliveries ?? null },
    );
  }
  const ack = (p: PeerResults) => (p.ack && "fixed" in p.ack ? p.ack : undefined);
  for (const rate of rates) {
    metrics.push(
      { key: `ack${rate}p50`, label: `request/ack @${rate}/s, p50`, unit: "ms", better: "lower", value: (p) => ack(p)?.fixed.find((r) => r.offeredPerSecond === rate)?.p50Ms ?? null },
      { key: `ack${rate}p99`, label: `request/ack @${rate}/s, p99`, unit: "ms", better: "lower", chart: rate === rates[rates.length - 1], value: (p) => ack(p)?.fixed.find((r) => r.offeredPerSecond === rate)?.p99Ms ?? null },
    );
  }
  metrics.push(
    { key: "ackMax", label: "request/ack, max rate", unit: "acks/s", better: "higher", chart: true, value: (p) => ack(p)?.max?.achievedPerSecond ?? null },
    { key: "ackMaxP99", label: "request/ack at max rate, p99", unit: "ms", better: "lower", value: (p) => ack(p)?.max?.p99Ms ?? null },
    { key: "pollingDirect", label: "polling scenario: websocket-direct fan-out", unit: "deliveries/s", better: "higher", value: (p) => ok<{ status: string; websocketDirect: FanoutResult }>(p.polling)?.websocketDirect.deliveriesPerSecond ?? null },
    { key: "pollingFirst", label: "polling scenario: polling-first (upgraded; relayed on edge-uws)", unit: "deliveries/s", better: "higher", value: (p) => ok<{ status: string; pollingFirst: FanoutResult | null }>(p.polling)?.pollingFirst?.deliveriesPerSecond ?? null },
    { key: "pollingRatio", label: "polling-first ÷ websocket-direct, deliveries/s", unit: "×", better: "higher", value: (p) => ok<{ status: string; deliveriesRatio: number | null }>(p.polling)?.deliveriesRatio ?? null },
    { key: "pollingP99", label: "polling-first p99 (direct p99 in the JSON)", unit: "ms", better: "lower", value: (p) => ok<{ status: string; pollingFirst: FanoutResult | null }>(p.polling)?.pollingFirst?.p99Ms ?? null },
    { key: "forwarded", label: "polling requests forwarded by one worker", unit: "req/s", better: "higher", value: (p) => ok<{ status: string; forwarded: { requestsPerSecond: number } | null }>(p.forward)?.forwarded?.requestsPerSecond ?? null },
    { key: "forwardRatio", label: "forwarded ÷ sent to the owner, req/s", unit: "×", better: "higher", value: (p) => ok<{ status: string; ratio: number | null }>(p.forward)?.ratio ?? null },
  );
  return metrics;
}

export function formatNumber(n: number | null): string {
  if (n === null) return "–";
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US");
  if (Math.abs(n) >= 100) return String(Math.round(n));
  return String(Math.round(n * 100) / 100);
}
