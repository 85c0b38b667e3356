// Keeps one worker per slot alive: forks, respawns with backoff, gives up loudly when a slot
// cannot start, and drains everything on shutdown.
import cluster, { type Worker } from "node:cluster";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { CHANNEL, isOurs, workerToPrimarySchema, type Peer, type PrimaryToWorker, type WithoutChannel, type WorkerToPrimary } from "../ipc/messages.js";
import { encodeWorkerContext, WORKER_CONTEXT_ENV, type RunningEngine } from "../worker/context.js";

/** Consecutive start-up failures of one slot before the primary gives up. */
export const MAX_START_FAILURES = 5;
const BACKOFF_BASE_MS = 200;
const BACKOFF_MAX_MS = 5_000;
/** A worker that lived this long after getting ready resets its slot's crash streak. */
const STABLE_AFTER_MS = 30_000;

interface Slot {
  index: number;
  /** Forks of this slot so far; names the current process in its sids. */
  incarnation: number;
  worker: Worker | undefined;
  ready: boolean;
  privatePort: number | undefined;
  startFailures: number;
  crashStreak: number;
  readyAt: number;
  lastFailure: string | undefined;
  respawnTimer: NodeJS.Timeout | undefined;
}

export interface SupervisorEvents {
  /** Every slot has a listening worker for the first time. */
  allReady(): void;
  /** A slot failed to start MAX_START_FAILURES times in a row. */
  fatal(reason: string): void;
  /** A worker asked the primary something. */
  request(worker: Worker, message: Extract<WorkerToPrimary, { kind: "request" }>): void;
  /** A worker answered a query. */
  queryReply(worker: Worker, message: Extract<WorkerToPrimary, { kind: "query-reply" }>): void;
}

export class Supervisor {
  private readonly slots: Slot[];
  private shuttingDown = false;
  private announcedReady = false;
  private rolling = false;
  /** Workers replaced by a rolling restart, draining outside their slot. */
  private readonly retiring = new Set<Worker>();
  /** Called when a worker reports it listens (true) or dies before that (false). */
  private readonly readyWaiters = new Map<Worker, (ready: boolean) => void>();

  constructor(
    private readonly config: Config,
    private readonly engine: RunningEngine,
    private readonly log: Logger,
    private readonly events: SupervisorEvents,
  ) {
    this.slots = Array.from({ length: config.workers }, (_, index) => ({
      index,
      incarnation: 0,
      worker: undefined,
      ready: false,
      privatePort: undefined,
      startFailures: 0,
      crashStreak: 0,
      readyAt: 0,
      lastFailure: undefined,
      respawnTimer: undefined,
    }));
    cluster.on("message", (worker, raw) => this.onMessage(worker, raw));
  }

  start(): void {
    for (const slot of this.slots) this.fork(slot);
  }

  /** Workers alive now, for fan-out queries. */
  liveWorkers(): Array<{ slot: number; worker: Worker }> {
    return this.slots.flatMap((s) => (s.worker && s.worker.isConnected() ? [{ slot: s.index, worker: s.worker }] : []));
  }

  send(worker: Worker, message: WithoutChannel<PrimaryToWorker>): void {
    if (worker.isConnected()) worker.send({ ...message, channel: CHANNEL }, undefined, () => {});
  }

  /** Asks every worker to drain; resolves when all have exited or the timeout passed. */
  async shutdown(timeoutMs: number): Promise<{ forced: number }> {
    this.shuttingDown = true;
    for (const slot of this.slots) clearTimeout(slot.respawnTimer);
    return this.drainWorkers(this.allWorkers(), timeoutMs);
  }

  /**
   * Replaces every worker, one slot at a time, for a deploy or a config reload: the new
   * process of a slot listens before the old one drains, so the slot is never empty. The old
   * worker's clients reconnect to whichever worker takes them. Stops at a slot whose new
   * worker cannot start (the old one keeps serving).
   */
  async rollingRestart(drainTimeoutMs: number): Promise<{ replaced: number; stoppedAt?: number }> {
    if (this.rolling || this.shuttingDown) return { replaced: 0 };
    this.rolling = true;
    let replaced = 0;
    try {
      for (const slot of this.slots) {
        if (this.shuttingDown) break;
        const old = slot.worker;
        const previous = { worker: old, incarnation: slot.incarnation, privatePort: slot.privatePort, ready: slot.ready, readyAt: slot.readyAt };
        clearTimeout(slot.respawnTimer);
        if (old) this.retiring.add(old);
        const fresh = this.fork(slot);
        const ready = await new Promise<boolean>((resolve) => this.readyWaiters.set(fresh, resolve));
        if (!ready) {
          // Give the slot back to the worker that was serving it, instead of respawning.
          clearTimeout(slot.respawnTimer);
          if (old && !old.isDead()) {
            this.retiring.delete(old);
            Object.assign(slot, previous, { startFailures: 0 });
            this.broadcastPeers();
          }
          return { replaced, stoppedAt: slot.index };
        }
        if (old) {
          await this.drainWorkers([old], drainTimeoutMs);
          this.retiring.delete(old);
        }
        replaced++;
      }
      return { replaced };
    } finally {
      this.rolling = false;
    }
  }

  /** Ends every worker at once (after a fatal error). */
  killAll(): void {
    this.shuttingDown = true;
    for (const slot of this.slots) clearTimeout(slot.respawnTimer);
    for (const worker of this.allWorkers()) worker.process.kill("SIGKILL");
  }

  private allWorkers(): Worker[] {
    const inSlots = this.slots.flatMap((s) => (s.worker ? [s.worker] : []));
    return [...inSlots, ...this.retiring].filter((w) => !w.isDead());
  }

  /** Drains the given workers; those still alive after the timeout are killed. */
  private async drainWorkers(workers: Worker[], timeoutMs: number): Promise<{ forced: number }> {
    const exits = workers.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once("exit", () => resolve()))));
    for (const worker of workers) this.send(worker, { kind: "drain" });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(exits).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    let forced = 0;
    if (timedOut) {
      for (const worker of workers) {
        if (!worker.isDead()) {
          forced++;
          worker.process.kill("SIGKILL");
        }
      }
    }
    return { forced };
  }

  private fork(slot: Slot): Worker {
    slot.incarnation++;
    const context = { slot: slot.index, incarnation: slot.incarnation, engine: this.engine, peers: this.peers(), config: this.config };
    const worker = cluster.fork({ [WORKER_CONTEXT_ENV]: encodeWorkerContext(context) });
    slot.worker = worker;
    slot.ready = false;
    slot.privatePort = undefined;
    worker.on("exit", (code, signal) => this.onExit(slot, worker, code, signal));
    worker.on("error", (err) => this.log.warn("worker IPC error", { slot: slot.index, error: err }));
    return worker;
  }

  private onMessage(worker: Worker, raw: unknown): void {
    if (!isOurs(raw)) return; // the cluster adapter's traffic, handled by setupPrimary()
    const parsed = workerToPrimarySchema.safeParse(raw);
    if (!parsed.success) {
      this.log.error("dropped an invalid IPC message from a worker", { code: "ipc_invalid", pid: worker.process.pid, issues: parsed.error.issues.slice(0, 3) });
      return;
    }
    const message = parsed.data;
    const slot = this.slots.find((s) => s.worker === worker);
    if (!slot) return;
    switch (message.kind) {
      case "listening":
        slot.ready = true;
        slot.readyAt = Date.now();
        slot.privatePort = message.privatePort;
        slot.startFailures = 0;
        this.broadcastPeers();
        this.readyWaiters.get(worker)?.(true);
        this.readyWaiters.delete(worker);
        if (!this.announcedReady && this.slots.every((s) => s.ready)) {
          this.announcedReady = true;
          this.events.allReady();
        }
        return;
      case "startup-failed":
        slot.lastFailure = message.reason;
        return;
      case "request":
        this.events.request(worker, message);
        return;
      case "query-reply":
        this.events.queryReply(worker, message);
        return;
    }
  }

  /** Records a worker's private port and tells every worker; false for an unknown worker. */
  joinMesh(worker: Worker, privatePort: number): boolean {
    const slot = this.slots.find((s) => s.worker === worker);
    if (!slot) return false;
    slot.privatePort = privatePort;
    this.broadcastPeers();
    return true;
  }

  /** Workers that listen on their private port: where the mesh routes sessions. */
  private peers(): Peer[] {
    return this.slots.flatMap((s) =>
      s.worker?.process.pid && s.privatePort
        ? [{ slot: s.index, incarnation: s.incarnation, pid: s.worker.process.pid, privatePort: s.privatePort }]
        : [],
    );
  }

  private broadcastPeers(): void {
    const peers = this.peers();
    for (const { worker } of this.liveWorkers()) this.send(worker, { kind: "peers", peers });
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    this.readyWaiters.get(worker)?.(false);
    this.readyWaiters.delete(worker);
    this.retiring.delete(worker);
    if (slot.worker !== worker) return;
    const wasReady = slot.ready;
    slot.worker = undefined;
    slot.ready = false;
    slot.privatePort = undefined;
    if (this.shuttingDown) return;
    this.broadcastPeers();

    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    if (!wasReady) {
      slot.startFailures++;
      const reason = slot.lastFailure ?? how;
      this.log.warn("worker failed to start", { slot: slot.index, attempt: slot.startFailures, reason });
      if (slot.startFailures >= MAX_START_FAILURES) {
        this.events.fatal(`worker slot ${slot.index} failed to start ${slot.startFailures} times in a row: ${reason}`);
        return;
      }
    } else {
      slot.crashStreak = Date.now() - slot.readyAt > STABLE_AFTER_MS ? 1 : slot.crashStreak + 1;
      this.log.warn("worker died; respawning", { slot: slot.index, pid: worker.process.pid, how });
    }
    const attempt = Math.max(slot.startFailures, slot.crashStreak, 1);
    const delay = Math.min(BACKOFF_BASE_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS);
    slot.lastFailure = undefined;
    slot.respawnTimer = setTimeout(() => {
      if (!this.shuttingDown) this.fork(slot);
    }, delay);
  }
}
