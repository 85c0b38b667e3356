// Publishing, for clients and the push API alike: the idempotency check across the
// cluster, the envelope, and the emit through the adapter (so every worker delivers).
import type { Namespace } from "socket.io";
import { makeEnvelope, type Envelope } from "./envelope.js";

/** Asks the primary whether a publish id is new within the idempotency window. */
export type ClaimMessageId = (key: string, timestamp: number) => Promise<{ fresh: boolean; timestamp: number }>;

export type Target = { room: string } | { broadcast: true };

export interface Outgoing {
  type: string;
  data: unknown;
  /** Client-chosen id: the same id again within the window is not delivered twice. */
  id?: string | undefined;
  /** "server" for the API, the user's sub for clients. */
  from: string;
}

export interface Delivered {
  id: string;
  timestamp: number;
  /** True when this id was already published within the window: nothing was sent now. */
  duplicate: boolean;
}

export class UnavailableError extends Error {
  readonly code = "unavailable";
}

export class Delivery {
  constructor(private readonly claim: ClaimMessageId) {}

  /**
   * Reserves the message: a fresh envelope, or `duplicate` when its id was seen. Ids are
   * scoped by namespace and sender, so two users cannot collide on (or block) each other's ids.
   */
  async prepare(nsp: Namespace, target: Target, message: Outgoing): Promise<{ envelope: Envelope; duplicate: boolean }> {
    const now = Date.now();
    const room = "room" in target ? target.room : null;
    if (message.id === undefined) return { envelope: makeEnvelope(room, message.type, message.data, message.from, undefined, now), duplicate: false };
    let claim: { fresh: boolean; timestamp: number };
    try {
      claim = await this.claim(`${nsp.name}\u0000${message.from}\u0000${message.id}`, now);
    } catch (err) {
      throw new UnavailableError(`the idempotency window is unavailable (${(err as Error).message}); retry the publish`);
    }
    return { envelope: makeEnvelope(room, message.type, message.data, message.from, message.id, claim.timestamp), duplicate: !claim.fresh };
  }

  async publish(nsp: Namespace, target: Target, message: Outgoing): Promise<Delivered> {
    const { envelope, duplicate } = await this.prepare(nsp, target, message);
    if (!duplicate) {
      if ("room" in target) nsp.to(target.room).emit("message", envelope);
      else nsp.emit("message", envelope);
    }
    return { id: envelope.id, timestamp: envelope.timestamp, duplicate };
  }

  /**
   * Delivers to a room and waits up to `timeoutMs` for each recipient's acknowledgement
   * (a client acks by calling the callback its `message` handler receives).
   */
  async publishWithAck(nsp: Namespace, room: string, message: Outgoing, timeoutMs: number): Promise<Delivered & { sockets: number; acked: number }> {
    const { envelope, duplicate } = await this.prepare(nsp, { room }, message);
    if (duplicate) return { id: envelope.id, timestamp: envelope.timestamp, duplicate, sockets: 0, acked: 0 };
    const sockets = (await nsp.in(room).fetchSockets()).length;
    const responses = await new Promise<unknown[]>((resolve) => {
      // On timeout socket.io passes an error and the responses that did arrive.
      nsp
        .to(room)
        .timeout(timeoutMs)
        .emit("message", envelope, (_err: Error | null, answers: unknown[] | undefined) => resolve(answers ?? []));
    });
    return { id: envelope.id, timestamp: envelope.timestamp, duplicate, sockets, acked: responses.length };
  }
}
