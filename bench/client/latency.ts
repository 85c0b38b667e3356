// A latency histogram with 2% wide log buckets: constant memory and O(1) recording, so a
// run with millions of deliveries costs the load generator almost nothing to measure.
const GROWTH = 1.02;
const MIN_MS = 0.001;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / LOG_GROWTH) + 1;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;

  record(ms: number): void {
    const value = ms < MIN_MS ? MIN_MS : ms;
    const index = Math.min(BUCKETS - 1, Math.floor(Math.log(value / MIN_MS) / LOG_GROWTH));
    this.counts[index]! += 1;
    this.count += 1;
    if (ms > this.max) this.max = ms;
  }

  /** The value below which `p` (0–1) of the recorded samples fall, in ms; null when empty. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, MIN_MS * GROWTH ** (i + 0.5));
    }
    return this.max;
  }

  summary(): { samples: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null } {
    return {
      samples: this.count,
      p50Ms: round(this.percentile(0.5)),
      p99Ms: round(this.percentile(0.99)),
      maxMs: this.count === 0 ? null : round(this.max),
    };
  }
}

export function round(value: number | null, digits = 3): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
