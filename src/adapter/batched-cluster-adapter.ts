// Rooms and broadcasts across workers, like @socket.io/cluster-adapter (same socket.io-adapter
// base class, same messages, same routing through the primary), but with the IPC batched:
// every message a worker's adapters publish in one turn of the event loop leaves in one
// process.send(), and the primary forwards them the same way. Per message, IPC costs a
// serialization and a write syscall in the sender, the primary and each receiver; it was
// most of the primary's CPU and a large share of the workers' under publish load.
import { ClusterAdapterWithHeartbeat, type ClusterAdapterOptions, type ClusterMessage, type ClusterResponse, type Offset, type ServerId } from "socket.io-adapter";
import type { Namespace } from "socket.io";
import type { Logger } from "../log.js";
import { ADAPTER_BATCH_SOURCE, isAdapterBatch, validAdapterBatch, type AdapterBatch } from "./messages.js";

/** The worker's end: queues outgoing messages, hands incoming ones to their namespace. */
export class AdapterBus {
  private queue: object[] = [];
  private scheduled = false;
  private readonly adapters = new Map<string, BatchedClusterAdapter>();

  constructor(private readonly log: Logger) {
    process.on("message", (raw: unknown) => {
      if (!isAdapterBatch(raw)) return;
      if (!validAdapterBatch(raw)) {
        this.log.error("dropped an invalid adapter batch from the primary", { code: "ipc_invalid" });
        return;
      }
      for (const message of raw.messages) {
        // A namespace this worker does not have (yet) has no sockets here to deliver to.
        this.adapters.get(message.nsp)?.receive(message as unknown as ClusterMessage);
      }
    });
  }

  register(adapter: BatchedClusterAdapter): void {
    this.adapters.set(adapter.nsp.name, adapter);
  }

  unregister(adapter: BatchedClusterAdapter): void {
    if (this.adapters.get(adapter.nsp.name) === adapter) this.adapters.delete(adapter.nsp.name);
  }

  send(message: object): void {
    this.queue.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const messages = this.queue;
    this.queue = [];
    if (messages.length === 0 || !process.send || !process.connected) return;
    const batch = { source: ADAPTER_BATCH_SOURCE, messages } as AdapterBatch;
    process.send(batch, undefined, {}, () => {});
  }
}

export class BatchedClusterAdapter extends ClusterAdapterWithHeartbeat {
  constructor(
    nsp: Namespace,
    private readonly bus: AdapterBus,
    options: ClusterAdapterOptions = {},
  ) {
    super(nsp, options);
    bus.register(this);
  }

  receive(message: ClusterMessage): void {
    this.onMessage(message);
  }

  protected override doPublish(message: ClusterMessage): Promise<Offset> {
    this.bus.send(message);
    return Promise.resolve(""); // no offsets: connection state recovery is not supported
  }

  protected override doPublishResponse(requesterUid: ServerId, response: ClusterResponse): Promise<void> {
    this.bus.send({ ...response, requesterUid });
    return Promise.resolve();
  }

  override close(): void {
    super.close(); // publishes ADAPTER_CLOSE first
    this.bus.unregister(this);
  }
}

/** The `adapter` option of the Socket.IO server (which calls it with `new`, per namespace). */
export function createBatchedClusterAdapter(bus: AdapterBus, options: ClusterAdapterOptions = {}) {
  return class extends BatchedClusterAdapter {
    constructor(nsp: Namespace) {
      super(nsp, bus, options);
    }
  };
}
