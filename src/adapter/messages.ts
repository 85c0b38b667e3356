// What crosses the IPC channel for the cluster adapter: batches of socket.io-adapter
// ClusterMessages, one process.send() per turn of the event loop instead of one each.

export const ADAPTER_BATCH_SOURCE = "realtime-edge:adapter";

/** The fields the hub routes by; the rest is socket.io-adapter's business. */
export interface RoutedMessage {
  uid: string;
  nsp: string;
  type: number;
  requesterUid?: string;
  [field: string]: unknown;
}

export interface AdapterBatch {
  source: typeof ADAPTER_BATCH_SOURCE;
  messages: RoutedMessage[];
}

export function isAdapterBatch(message: unknown): boolean {
  return typeof message === "object" && message !== null && (message as { source?: unknown }).source === ADAPTER_BATCH_SOURCE;
}

/**
 * Checks a batch in place. This is the hottest IPC path (every cross-worker broadcast), so
 * it is a plain type guard rather than a schema parse, which would copy every message.
 */
export function validAdapterBatch(raw: unknown): raw is AdapterBatch {
  if (!isAdapterBatch(raw)) return false;
  const messages = (raw as { messages?: unknown }).messages;
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (const m of messages as Array<Partial<RoutedMessage> | null>) {
    if (typeof m !== "object" || m === null) return false;
    if (typeof m.uid !== "string" || typeof m.nsp !== "string" || !Number.isInteger(m.type)) return false;
    if (m.requesterUid !== undefined && typeof m.requesterUid !== "string") return false;
  }
  return true;
}
