// Command-line options of `npm run bench`: which peers and scenarios, and their sizes.
// Defaults finish within about five minutes on a 2-core machine; --full runs the large sizes.
import { parseArgs } from "node:util";
import { PEERS, type PeerId } from "./peer-runner.js";

export const SCENARIOS = ["cold", "storm", "idle", "fanout", "ack", "polling", "forward"] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface BenchOptions {
  full: boolean;
  peers: PeerId[];
  scenarios: ScenarioId[];
  /** Sessions opened by the storm and held for idle capacity, fan-out and acks. */
  connections: number;
  stormConcurrency: number;
  roomSizes: number[];
  fanoutDurationMs: number;
  ackRates: number[];
  ackDurationMs: number;
  ackClients: number;
  coldRuns: number;
  pollingClients: number;
  pollingDurationMs: number;
  forwardClients: number;
  forwardDurationMs: number;
  outDir: string;
  quiet: boolean;
  /** Extra environment for the realtime-edge peers (e.g. to lift a per-socket rate limit). */
  edgeEnv: Record<string, string>;
  /** Where peers write V8 CPU profiles (node --cpu-prof), when asked for. */
  cpuProfDir: string | undefined;
}

const HELP = `npm run bench -- [options]

  --full                  large sizes (storm/idle as many connections as the fd limit allows,
                          longer runs); default sizes finish in about 5 minutes
  --peers LIST            comma-separated, from: ${PEERS.map((p) => p.id).join(", ")}
  --scenarios LIST        comma-separated, from: ${SCENARIOS.join(", ")}
                          (idle, fanout and ack use the storm's connections)
  --connections N         sessions opened by the storm (default 10000)
  --rooms LIST            fan-out room sizes (default 100,1000,10000)
  --fanout-ms N           publishing time per room size (default 3000)
  --ack-rates LIST        fixed request rates per second (default 1000,5000)
  --ack-ms N              time per ack rate (default 3000)
  --polling-clients N     subscribers per transport in the polling scenario (default 200)
  --polling-ms N          publishing / request time of the polling and forward scenarios (default 3000)
  --forward-sessions N    polling-only sessions in the forward scenario (default 50)
  --cold-runs N           cold starts per peer, the median is reported (default 3)
  --out DIR               where latest.json/.md/.svg go (default bench/results)
  --edge-env K=V,...      extra environment for the realtime-edge peers
  --cpu-prof DIR          run every peer process (primary and workers) under node --cpu-prof
                          and write the profiles to DIR (open them in Chrome DevTools)
  --quiet                 no progress lines
  --help
`;

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(",").map((s) => s.trim()).filter(Boolean);
}

function numbers(value: string | undefined, name: string): number[] | undefined {
  const items = list(value);
  if (!items) return undefined;
  return items.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) throw new OptionError(`${name}: "${s}" is not a positive whole number`);
    return n;
  });
}

export class OptionError extends Error {
  override readonly name = "OptionError";
}

export function parseOptions(argv: string[], defaultOutDir: string): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      full: { type: "boolean", default: false },
      peers: { type: "string" },
      scenarios: { type: "string" },
      connections: { type: "string" },
      rooms: { type: "string" },
      "fanout-ms": { type: "string" },
      "ack-rates": { type: "string" },
      "ack-ms": { type: "string" },
      "polling-clients": { type: "string" },
      "polling-ms": { type: "string" },
      "forward-sessions": { type: "string" },
      "cold-runs": { type: "string" },
      out: { type: "string" },
      "edge-env": { type: "string" },
      "cpu-prof": { type: "string" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const full = values.full;
  const peers = (list(values.peers) ?? PEERS.map((p) => p.id)) as PeerId[];
  for (const p of peers) if (!PEERS.some((spec) => spec.id === p)) throw new OptionError(`--peers: unknown peer "${p}"`);
  const scenarios = (list(values.scenarios) ?? [...SCENARIOS]) as ScenarioId[];
  for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new OptionError(`--scenarios: unknown scenario "${s}"`);
  const one = (v: string | undefined, name: string, fallback: number) => numbers(v, name)?.[0] ?? fallback;
  const edgeEnv: Record<string, string> = {};
  for (const pair of list(values["edge-env"]) ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new OptionError(`--edge-env: "${pair}" is not KEY=VALUE`);
    edgeEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    full,
    peers,
    scenarios,
    // The hard limit on open files (RLIMIT_NOFILE) caps one process; keep headroom.
    connections: one(values.connections, "--connections", full ? 19_000 : 10_000),
    stormConcurrency: 256,
    roomSizes: numbers(values.rooms, "--rooms") ?? [100, 1_000, 10_000],
    fanoutDurationMs: one(values["fanout-ms"], "--fanout-ms", full ? 10_000 : 3_000),
    ackRates: numbers(values["ack-rates"], "--ack-rates") ?? (full ? [1_000, 5_000, 10_000] : [1_000, 5_000]),
    ackDurationMs: one(values["ack-ms"], "--ack-ms", full ? 10_000 : 3_000),
    ackClients: 16,
    coldRuns: one(values["cold-runs"], "--cold-runs", full ? 5 : 3),
    pollingClients: one(values["polling-clients"], "--polling-clients", full ? 1_000 : 200),
    pollingDurationMs: one(values["polling-ms"], "--polling-ms", full ? 10_000 : 3_000),
    forwardClients: one(values["forward-sessions"], "--forward-sessions", full ? 200 : 50),
    forwardDurationMs: one(values["polling-ms"], "--polling-ms", full ? 10_000 : 3_000),
    outDir: values.out ?? defaultOutDir,
    quiet: values.quiet,
    edgeEnv,
    cpuProfDir: values["cpu-prof"],
  };
}

export { HELP };
