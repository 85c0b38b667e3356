import { newMessageId } from "./message-id.js";

/** What every recipient receives as the `message` event. */
export interface Envelope {
  id: string;
  /** The room it was published to; null for a broadcast to the whole namespace. */
  room: string | null;
  type: string;
  data: unknown;
  /** The sender's user id (`sub`; the socket id when anonymous), or "server" for the push API. */
  from: string;
  /** Milliseconds since the epoch, when the server accepted the message. */
  timestamp: number;
}

/** A client-chosen id is kept as the envelope id, so receivers can drop duplicates too. */
export function makeEnvelope(room: string | null, type: string, data: unknown, from: string, id?: string, timestamp = Date.now()): Envelope {
  return { id: id ?? newMessageId(timestamp), room, type, data: data ?? null, from, timestamp };
}
