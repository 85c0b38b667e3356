// The primary's side of the batched cluster adapter: the same routing as
// @socket.io/cluster-adapter's setupPrimary() (responses to fetchSockets/serverSideEmit go
// to the requesting worker only, everything else to every worker but the sender), with
// everything bound for one worker in one turn of the event loop sent as one batch.
import cluster, { type Worker } from "node:cluster";
import { MessageType } from "socket.io-adapter";
import type { Logger } from "../log.js";
import { ADAPTER_BATCH_SOURCE, isAdapterBatch, validAdapterBatch, type RoutedMessage } from "./messages.js";

export function setupAdapterHub(log: Logger): void {
  /** Adapter uids (one per namespace) seen from each worker: where responses go. */
  const uidsOf = new WeakMap<Worker, Set<string>>();
  const outgoing = new Map<Worker, RoutedMessage[]>();
  let scheduled = false;

  const enqueue = (worker: Worker, message: RoutedMessage) => {
    let list = outgoing.get(worker);
    if (!list) outgoing.set(worker, (list = []));
    list.push(message);
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  const flush = () => {
    scheduled = false;
    for (const [worker, messages] of outgoing) {
      if (worker.isConnected()) worker.send({ source: ADAPTER_BATCH_SOURCE, messages }, undefined, () => {});
    }
    outgoing.clear();
  };

  const workers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);

  cluster.on("message", (sender: Worker, raw: unknown) => {
    if (!isAdapterBatch(raw)) return;
    if (!validAdapterBatch(raw)) {
      log.error("dropped an invalid adapter batch from a worker", { code: "ipc_invalid", pid: sender.process.pid });
      return;
    }
    let uids = uidsOf.get(sender);
    if (!uids) uidsOf.set(sender, (uids = new Set()));
    for (const message of raw.messages) {
      uids.add(message.uid);
      const isDirectResponse = message.type === MessageType.FETCH_SOCKETS_RESPONSE || message.type === MessageType.SERVER_SIDE_EMIT_RESPONSE;
      if (isDirectResponse) {
        const requester = workers().find((w) => message.requesterUid !== undefined && uidsOf.get(w)?.has(message.requesterUid));
        if (requester) enqueue(requester, message);
        continue;
      }
      for (const worker of workers()) if (worker !== sender) enqueue(worker, message);
    }
  });
}
