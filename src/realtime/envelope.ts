import { newMessageId } from "./message-id.js";

/** What every room member receives as the `message` event. */
export interface Envelope {
  id: string;
  room: string;
  type: string;
  data: unknown;
  /** The sender's user id, or "server" for the push API. */
  from: string;
  /** Milliseconds since the epoch, when the server accepted the message. */
  timestamp: number;
}

export function makeEnvelope(room: string, type: string, data: unknown, from: string): Envelope {
  const timestamp = Date.now();
  return { id: newMessageId(timestamp), room, type, data: data ?? null, from, timestamp };
}
