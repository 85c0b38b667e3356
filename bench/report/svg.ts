// latest.svg: one small horizontal bar chart per headline figure, every peer in the same
// colour across panels. Plain SVG text, no library: it renders in a browser and on GitHub.
import type { BenchResults } from "../results.js";
import { formatNumber, metricsFor } from "./metrics.js";

const COLORS: Record<string, string> = {
  "edge-uws": "#2563eb",
  "edge-node": "#60a5fa",
  canonical: "#f97316",
  single: "#a3a3a3",
  limit: "#16a34a",
};
const PANEL_WIDTH = 470;
const LABEL_WIDTH = 90;
const BAR_HEIGHT = 18;
const GAP = 6;
const COLUMNS = 2;

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function renderSvg(results: BenchResults): string {
  const peers = results.peers;
  const metrics = metricsFor(results).filter((m) => m.chart);
  const panelHeight = 44 + peers.length * (BAR_HEIGHT + GAP);
  const rows = Math.ceil(metrics.length / COLUMNS);
  const width = PANEL_WIDTH * COLUMNS + 20;
  const headerHeight = 70;
  const legendHeight = 16 + peers.length * 16;
  const height = headerHeight + rows * panelHeight + legendHeight;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="10" y="24" font-size="17" font-weight="bold">realtime-edge and its peers, same load, same run</text>`);
  const s = results.setup;
  out.push(`<text x="10" y="44" fill="#444">${escape(`${s.cores} cores (${s.cpuModel}), Node ${s.node}, ${s.date.slice(0, 10)}, ${s.sizes.connections} connections; load generator on the same machine`)}</text>`);
  out.push(`<text x="10" y="60" fill="#444">${escape(`command: ${s.command}`)}</text>`);

  metrics.forEach((metric, index) => {
    const x0 = 10 + (index % COLUMNS) * PANEL_WIDTH;
    const y0 = headerHeight + Math.floor(index / COLUMNS) * panelHeight;
    const values = peers.map((p) => (p.status === "ok" ? metric.value(p) : null));
    const max = Math.max(...values.map((v) => v ?? 0), 1e-9);
    const barSpace = PANEL_WIDTH - LABEL_WIDTH - 90;
    out.push(`<text x="${x0}" y="${y0 + 18}" font-weight="bold">${escape(metric.label)}</text>`);
    out.push(`<text x="${x0}" y="${y0 + 33}" fill="#666" font-size="11">${escape(`${metric.unit}, ${metric.better} is better`)}</text>`);
    peers.forEach((peer, i) => {
      const y = y0 + 40 + i * (BAR_HEIGHT + GAP);
      const v = values[i] ?? null;
      out.push(`<text x="${x0 + LABEL_WIDTH - 6}" y="${y + 13}" text-anchor="end">${escape(peer.id)}</text>`);
      if (v === null) {
        const why = peer.status === "ok" ? "not measured" : "unavailable";
        out.push(`<text x="${x0 + LABEL_WIDTH + 4}" y="${y + 13}" fill="#999" font-style="italic">${why}</text>`);
        return;
      }
      const w = Math.max(1, (v / max) * barSpace);
      out.push(`<rect x="${x0 + LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[peer.id] ?? "#888"}"/>`);
      out.push(`<text x="${(x0 + LABEL_WIDTH + w + 4).toFixed(1)}" y="${y + 13}">${escape(formatNumber(v))}</text>`);
    });
  });

  const ly = headerHeight + rows * panelHeight + 10;
  peers.forEach((peer, i) => {
    const y = ly + i * 16;
    out.push(`<rect x="10" y="${y}" width="12" height="12" fill="${COLORS[peer.id] ?? "#888"}"/>`);
    const text = `${peer.id}: ${peer.label}${peer.status === "ok" ? "" : " (unavailable)"}`;
    out.push(`<text x="28" y="${y + 10}" font-size="11">${escape(text)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
