// What the primary hands a worker when it forks it: its slot, engine, peers and Config.
// It crosses a process boundary as JSON in one env variable, so it is validated again.
import { z } from "zod";
import { configSchema, type Config } from "../config.js";
import { peerSchema, type Peer } from "../ipc/messages.js";

export const WORKER_CONTEXT_ENV = "REALTIME_EDGE_WORKER";

export type RunningEngine = "uws" | "node";

export interface WorkerContext {
  slot: number;
  /** Which process of this slot this is (the primary counts forks per slot). */
  incarnation: number;
  /** Chosen by the primary: every worker runs the same engine. */
  engine: RunningEngine;
  /** The other workers' private listeners when this one was forked; updates follow over IPC. */
  peers: Peer[];
  config: Config;
}

const workerContextSchema = z.object({
  slot: z.number().int().min(0),
  incarnation: z.number().int().min(0),
  engine: z.enum(["uws", "node"]),
  peers: z.array(peerSchema),
  config: configSchema,
});

export function encodeWorkerContext(context: WorkerContext): string {
  return JSON.stringify(context);
}

export function decodeWorkerContext(raw: string | undefined): WorkerContext {
  if (!raw) throw new Error(`${WORKER_CONTEXT_ENV} is missing: workers are started by the primary, not by hand`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${WORKER_CONTEXT_ENV} is not valid JSON`);
  }
  const parsed = workerContextSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${WORKER_CONTEXT_ENV} is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}
