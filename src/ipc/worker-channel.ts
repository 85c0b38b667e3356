// The worker's end of the IPC channel: requests to the primary with a timeout, answers to
// the primary's queries, and the primary's pushes (peers, drain).
import {
  CHANNEL,
  IpcError,
  isOurs,
  operations,
  primaryToWorkerSchema,
  queries,
  type Operation,
  type OperationPayload,
  type OperationResult,
  type PrimaryToWorker,
  type Query,
  type QueryResult,
  type WithoutChannel,
  type WorkerToPrimary,
} from "./messages.js";
import type { Logger } from "../log.js";

type Push = Extract<PrimaryToWorker, { kind: "peers" | "drain" }>;

export class WorkerChannel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly queryHandlers = new Map<Query, () => unknown>();
  private readonly pushHandlers: Array<(push: Push) => void> = [];

  constructor(private readonly log: Logger) {
    process.on("message", (raw: unknown) => {
      if (!isOurs(raw)) return;
      const parsed = primaryToWorkerSchema.safeParse(raw);
      if (!parsed.success) {
        this.log.error("dropped an invalid IPC message from the primary", { code: "ipc_invalid", issues: parsed.error.issues.slice(0, 3) });
        return;
      }
      this.dispatch(parsed.data);
    });
  }

  get connected(): boolean {
    return process.connected === true;
  }

  send(message: WithoutChannel<WorkerToPrimary>): void {
    if (!process.send || !process.connected) return;
    process.send({ ...message, channel: CHANNEL }, undefined, {}, () => {});
  }

  request<O extends Operation>(op: O, payload: OperationPayload<O>, timeoutMs = 2000): Promise<OperationResult<O>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.connected) return reject(new IpcError("primary_unreachable", "the IPC channel to the primary is closed"));
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new IpcError("primary_timeout", `the primary did not answer "${op}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          const result = operations[op].result.safeParse(v);
          if (result.success) resolve(result.data as OperationResult<O>);
          else reject(new IpcError("ipc_invalid", `the primary's answer to "${op}" is malformed`));
        },
        reject,
        timer,
      });
      this.send({ kind: "request", id, op, payload });
    });
  }

  onQuery<Q extends Query>(query: Q, handler: () => QueryResult<Q>): void {
    this.queryHandlers.set(query, handler);
  }

  onPush(handler: (push: Push) => void): void {
    this.pushHandlers.push(handler);
  }

  private dispatch(message: PrimaryToWorker): void {
    switch (message.kind) {
      case "response": {
        const entry = this.pending.get(message.id);
        if (!entry) return; // answered after its timeout
        this.pending.delete(message.id);
        clearTimeout(entry.timer);
        if (message.ok) entry.resolve(message.result);
        else entry.reject(new IpcError(message.error?.code ?? "ipc_error", message.error?.message ?? "the primary refused the request"));
        return;
      }
      case "query": {
        const handler = this.queryHandlers.get(message.query);
        if (!handler || !queries[message.query].payload.safeParse(message.payload).success) {
          this.send({ kind: "query-reply", id: message.id, ok: false, error: { code: "unknown_query", message: `no handler for ${message.query}` } });
          return;
        }
        try {
          this.send({ kind: "query-reply", id: message.id, ok: true, result: handler() });
        } catch (err) {
          this.send({ kind: "query-reply", id: message.id, ok: false, error: { code: "query_failed", message: (err as Error).message } });
        }
        return;
      }
      default:
        for (const handler of this.pushHandlers) handler(message);
    }
  }
}
