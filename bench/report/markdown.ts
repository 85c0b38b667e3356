// latest.md: the setup, one table with every peer side by side and realtime-edge's ratio
// against the canonical setup, the targets of issue 5, and what could not run.
import type { BenchResults, PeerResults } from "../results.js";
import { formatNumber, metricsFor, type Metric } from "./metrics.js";

const CANONICAL = "canonical";
const EDGE = "edge-uws";
const LIMIT = "limit";

interface Target {
  label: string;
  check(edge: PeerResults, canonical: PeerResults | undefined, limit: PeerResults | undefined, metrics: Map<string, Metric>): { value: string; met: boolean | null };
}

function ratio(metric: Metric | undefined, a: PeerResults | undefined, b: PeerResults | undefined): number | null {
  if (!metric || !a || !b) return null;
  const x = metric.value(a);
  const y = metric.value(b);
  return x !== null && y !== null && y !== 0 ? x / y : null;
}

const fmtRatio = (r: number | null) => (r === null ? "–" : `${r.toFixed(2)}×`);

function targets(results: BenchResults): Target[] {
  const sizes = (results.setup.sizes.roomSizes as number[]) ?? [];
  const rates = (results.setup.sizes.ackRates as number[]) ?? [];
  const list: Target[] = [];
  for (const size of sizes) {
    list.push({
      label: `fan-out ${size}: ≥ 3× canonical deliveries/s`,
      check: (e, c, _l, m) => {
        const r = ratio(m.get(`fanout${size}`), e, c);
        return { value: fmtRatio(r), met: r === null ? null : r >= 3 };
      },
    });
    list.push({
      label: `fan-out ${size}: ≥ 50% of the limit's deliveries/s`,
      check: (e, _c, l, m) => {
        const r = ratio(m.get(`fanout${size}`), e, l);
        return { value: r === null ? "–" : `${Math.round(r * 100)}%`, met: r === null ? null : r >= 0.5 };
      },
    });
  }
  list.push({
    label: "memory per idle connection: ≤ ½ canonical",
    check: (e, c, _l, m) => {
      const r = ratio(m.get("idleKb"), e, c);
      return { value: fmtRatio(r), met: r === null ? null : r <= 0.5 };
    },
  });
  list.push({
    label: "connection storm: ≥ 2× canonical",
    check: (e, c, _l, m) => {
      const r = ratio(m.get("stormPerSecond"), e, c);
      return { value: fmtRatio(r), met: r === null ? null : r >= 2 };
    },
  });
  for (const rate of rates) {
    list.push({
      label: `request/ack p99 @${rate}/s: ≤ ½ canonical`,
      check: (e, c, _l, m) => {
        const r = ratio(m.get(`ack${rate}p99`), e, c);
        return { value: fmtRatio(r), met: r === null ? null : r <= 0.5 };
      },
    });
  }
  list.push({
    label: "cold start with 2 workers: < 500 ms",
    check: (e, _c, _l, m) => {
      const v = m.get("coldStartMs")?.value(e) ?? null;
      return { value: v === null ? "–" : `${v} ms`, met: v === null ? null : v < 500 };
    },
  });
  return list;
}

export function renderMarkdown(results: BenchResults): string {
  const { setup, peers } = results;
  const metrics = metricsFor(results);
  const byKey = new Map(metrics.map((m) => [m.key, m]));
  const ran = peers.filter((p) => p.status === "ok");
  const canonical = peers.find((p) => p.id === CANONICAL && p.status === "ok");
  const edge = peers.find((p) => p.id === EDGE && p.status === "ok");
  const limit = peers.find((p) => p.id === LIMIT && p.status === "ok");
  const lines: string[] = [];
  lines.push(`# Benchmark results`, "");
  lines.push(`\`${setup.command}\` on ${setup.date.slice(0, 10)}: ${setup.cores} cores (${setup.cpuModel}), ${setup.memoryGb} GB, Node ${setup.node}, load average at start ${setup.loadavgAtStart.join(" ")}; ${results.durationSeconds} s.`);
  lines.push(`Sizes: ${setup.sizes.connections} connections, rooms of ${(setup.sizes.roomSizes as number[]).join(" / ")}, ack rates ${(setup.sizes.ackRates as number[]).join(" / ")}/s, ${setup.sizes.pollingClients} polling subscribers.`, "");
  lines.push("Peers:", "");
  for (const p of peers) lines.push(`- **${p.id}**: ${p.label}${p.status === "ok" ? "" : ` — *unavailable: ${p.reason}*`}`);
  lines.push("");

  const header = ["figure", ...ran.map((p) => p.id)];
  const withRatio = canonical !== undefined && ran.some((p) => p.id.startsWith("edge-"));
  const edges = ran.filter((p) => p.id.startsWith("edge-"));
  if (withRatio) header.push(...edges.map((p) => `${p.id} ÷ canonical`));
  lines.push(`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`);
  for (const metric of metrics) {
    const values = ran.map((p) => metric.value(p));
    if (values.every((v) => v === null)) continue;
    const row = [`${metric.label}${metric.unit ? ` (${metric.unit})` : ""}`, ...values.map(formatNumber)];
    if (withRatio) row.push(...edges.map((e) => (metric.unit === "×" || metric.unit === "" ? "" : fmtRatio(ratio(metric, e, canonical)))));
    lines.push(`| ${row.join(" | ")} |`);
  }
  lines.push("");

  if (edge) {
    lines.push("Targets (issue 5; figures, not pass/fail):", "", "| target | measured | met |", "|---|---:|:---:|");
    for (const t of targets(results)) {
      const { value, met } = t.check(edge, canonical, limit, byKey);
      lines.push(`| ${t.label} | ${value} | ${met === null ? "–" : met ? "yes" : "**no**"} |`);
    }
    lines.push("");
  }

  const notRun: string[] = [];
  for (const p of peers) {
    if (p.status !== "ok") continue;
    for (const [name, value] of Object.entries(p)) {
      if (typeof value === "object" && value !== null && !Array.isArray(value) && "status" in value && (value as { status: string }).status !== "ok" && "reason" in value) {
        notRun.push(`- ${p.id} / ${name}: ${(value as { status: string }).status} — ${(value as { reason: string }).reason}`);
      }
    }
    if (Array.isArray(p.fanout)) for (const f of p.fanout) if (f.status !== "ok") notRun.push(`- ${p.id} / fan-out ${f.roomSize}: ${f.reason}`);
    if (p.reason) notRun.push(`- ${p.id}: ${p.reason.split("\n")[0]}`);
  }
  if (notRun.length > 0) lines.push("Not measured:", "", ...notRun, "");
  lines.push(...setup.notes.map((n) => `> ${n}`), "");
  return lines.join("\n");
}
