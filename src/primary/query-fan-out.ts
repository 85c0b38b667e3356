// Asks every live worker the same question and gathers the answers, waiting at most a
// timeout: a worker that is starting or stuck is reported as missing, never waited on.
import type { Worker } from "node:cluster";
import { queries, type Query, type QueryResult, type WorkerToPrimary } from "../ipc/messages.js";
import type { Supervisor } from "./supervisor.js";

interface Pending {
  waiting: Map<Worker, number>;
  results: unknown[];
  finish(): void;
  query: Query;
}

export class QueryFanOut {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  ask<Q extends Query>(supervisor: Supervisor, query: Q, timeoutMs: number): Promise<{ results: Array<QueryResult<Q>>; missing: number[] }> {
    const id = this.nextId++;
    const live = supervisor.liveWorkers();
    return new Promise((resolve) => {
      const waiting = new Map(live.map(({ slot, worker }) => [worker, slot]));
      const results: Array<QueryResult<Q>> = [];
      const finish = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve({ results, missing: [...waiting.values()].sort((a, b) => a - b) });
      };
      const timer = setTimeout(finish, timeoutMs);
      this.pending.set(id, { waiting, results, finish, query });
      if (waiting.size === 0) return finish();
      for (const { worker } of live) supervisor.send(worker, { kind: "query", id, query, payload: {} });
    });
  }

  onReply(worker: Worker, message: Extract<WorkerToPrimary, { kind: "query-reply" }>): void {
    const entry = this.pending.get(message.id);
    if (!entry || !entry.waiting.has(worker) || !message.ok) return; // a refusal stays missing
    const result = queries[entry.query].result.safeParse(message.result);
    if (!result.success) return; // so does a malformed answer
    entry.waiting.delete(worker);
    entry.results.push(result.data);
    if (entry.waiting.size === 0) entry.finish();
  }
}
