// Messages between the primary and its workers. Everything our code sends over the
// cluster IPC channel is tagged with CHANNEL so it never mixes with the cluster adapter's
// messages (tagged "_sio_adapter"), and is validated on arrival like any other input.
import { z } from "zod";

export const CHANNEL = "realtime-edge";

const count = z.number().int().min(0);

export const workerStatsSchema = z.object({
  slot: z.number().int().min(0),
  pid: z.number().int().min(1),
  /** Engine.IO sessions this worker holds. */
  connections: count,
  /** Polling requests it forwards to their owner right now, and in all. */
  forwarding: count,
  forwardedTotal: count,
  /** Websockets it relays to their owner right now, and in all. */
  relays: count,
  relayedTotal: count,
  relayDropped: count,
});
export type WorkerStats = z.infer<typeof workerStatsSchema>;

export const peerSchema = z.object({
  slot: z.number().int().min(0),
  /** Which process of the slot: the primary counts forks per slot. */
  incarnation: z.number().int().min(0),
  pid: z.number().int().min(1),
  privatePort: z.number().int().min(1).max(65535),
});
export type Peer = z.infer<typeof peerSchema>;

/** Operations a worker can ask of the primary; each has a payload and a result schema. */
export const operations = {
  /**
   * Answered at once. IPC messages from one worker reach the primary in order, so the
   * answer proves that everything the worker sent before it has been handled.
   */
  sync: { payload: z.object({}), result: z.object({}) },
  /**
   * A uws worker listens on its private port and asks to join the mesh before it opens the
   * public one. The primary answers once every other worker has applied the new peer table,
   * so no worker can be handed a request for this worker's sessions before it can route it.
   */
  "join-mesh": {
    payload: z.object({ privatePort: z.number().int().min(1).max(65535) }),
    result: z.object({}),
  },
  stats: {
    payload: z.object({}),
    result: z.object({ workers: z.array(workerStatsSchema), missing: z.array(z.number().int()) }),
  },
  /**
   * Claims a publish id for the idempotency window, cluster-wide. `fresh` is false when the
   * id was claimed before within the window; `timestamp` is the first claim's.
   */
  "claim-message-id": {
    payload: z.object({ key: z.string().min(1).max(1024), timestamp: z.number().int().min(0) }),
    result: z.object({ fresh: z.boolean(), timestamp: z.number().int().min(0) }),
  },
} as const;
export type Operation = keyof typeof operations;
export type OperationPayload<O extends Operation> = z.infer<(typeof operations)[O]["payload"]>;
export type OperationResult<O extends Operation> = z.infer<(typeof operations)[O]["result"]>;

/** Queries the primary fans out to every worker. */
export const queries = {
  stats: { payload: z.object({}), result: workerStatsSchema },
  /** Answered at once: proves the worker has handled everything the primary sent before. */
  ping: { payload: z.object({}), result: z.object({}) },
} as const;
export type Query = keyof typeof queries;
export type QueryResult<Q extends Query> = z.infer<(typeof queries)[Q]["result"]>;

const operationName = z.enum(Object.keys(operations) as [Operation, ...Operation[]]);
const queryName = z.enum(Object.keys(queries) as [Query, ...Query[]]);
const errorBody = z.object({ code: z.string(), message: z.string() });

export const workerToPrimarySchema = z.discriminatedUnion("kind", [
  z.object({ channel: z.literal(CHANNEL), kind: z.literal("listening"), slot: z.number().int(), privatePort: z.number().int().min(1).max(65535).optional() }),
  z.object({ channel: z.literal(CHANNEL), kind: z.literal("startup-failed"), slot: z.number().int(), reason: z.string() }),
  z.object({ channel: z.literal(CHANNEL), kind: z.literal("request"), id: z.number().int(), op: operationName, payload: z.unknown() }),
  z.object({ channel: z.literal(CHANNEL), kind: z.literal("query-reply"), id: z.number().int(), ok: z.boolean(), result: z.unknown().optional(), error: errorBody.optional() }),
]);
export type WorkerToPrimary = z.infer<typeof workerToPrimarySchema>;

export const primaryToWorkerSchema = z.discriminatedUnion("kind", [
  z.object({ channel: z.literal(CHANNEL), kind: z.literal("response"), id: z.number().int(), ok: z.boolean(), result: z.unknown().optional(), error: errorBody.optional() }),
  z.object({ channel: z.literal(CHANNEL), kind: z.literal("query"), id: z.number().int(), query: queryName, payload: z.unknown() }),
  z.object({ channel: z.literal(CHANNEL), kind: z.literal("peers"), peers: z.array(peerSchema) }),
  z.object({ channel: z.literal(CHANNEL), kind: z.literal("drain") }),
]);
export type PrimaryToWorker = z.infer<typeof primaryToWorkerSchema>;

/** True for anything that claims to be ours; such a message is then validated strictly. */
export function isOurs(message: unknown): boolean {
  return typeof message === "object" && message !== null && (message as { channel?: unknown }).channel === CHANNEL;
}

/** Distributes Omit over a union, so each variant keeps its own fields. */
export type WithoutChannel<T> = T extends unknown ? Omit<T, "channel"> : never;

export class IpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "IpcError";
  }
}
