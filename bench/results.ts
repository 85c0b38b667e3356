// The shape of bench/results/latest.json: the setup, then every figure per peer and
// scenario. A scenario that could not run says so (`status` and `reason`), never silently.
import type { AckResult } from "./scenarios/ack.js";
import type { ColdStartResult } from "./scenarios/cold-start.js";
import type { IdleResult, StormResult } from "./scenarios/connections.js";
import type { FanoutResult } from "./scenarios/fanout.js";
import type { ForwardResult, PollingResult } from "./scenarios/polling.js";
import type { PeerId } from "./peer-runner.js";

export interface Skipped {
  status: "skipped" | "unavailable" | "failed";
  reason: string;
}

export interface PeerResults {
  id: PeerId;
  label: string;
  workers: number;
  status: "ok" | "unavailable";
  reason?: string;
  coldStart?: ColdStartResult | Skipped;
  storm?: StormResult | Skipped;
  idle?: IdleResult | Skipped;
  fanout?: FanoutResult[] | Skipped;
  ack?: AckResult | Skipped;
  polling?: PollingResult | Skipped;
  forward?: ForwardResult | Skipped;
  /** Connections per worker during the run, where the peer can tell (realtime-edge). */
  spread?: { slot: number; pid: number; connections: number }[];
}

export interface Setup {
  date: string;
  command: string;
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  os: string;
  openFilesLimit: string;
  loadavgAtStart: number[];
  full: boolean;
  peers: { id: PeerId; label: string }[];
  scenarios: string[];
  sizes: Record<string, unknown>;
  notes: string[];
}

export interface BenchResults {
  setup: Setup;
  peers: PeerResults[];
  durationSeconds: number;
}

export function isSkipped(value: unknown): value is Skipped {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const status = (value as { status?: unknown }).status;
  return status === "skipped" || status === "unavailable";
}
