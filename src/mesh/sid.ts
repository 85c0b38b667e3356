// Owner-tagged session ids. A uws worker's engine generates sids that name the worker that
// holds the session, so any worker can route a request without asking anyone:
//
//   sid = slot (2 base36 chars) + incarnation (3 base36 chars) + 15 random base64url chars
//
// The slot says which worker; the incarnation says which process of that slot (the primary
// counts forks per slot), so after a respawn the new process never mistakes the old
// process's sids for its own sessions. 20 characters, like engine.io's own sids.
import { randomBytes } from "node:crypto";

const SLOT_CHARS = 2;
const INCARNATION_CHARS = 3;
const INCARNATIONS = 36 ** INCARNATION_CHARS;
const SID = /^[0-9a-z]{5}[A-Za-z0-9_-]{15}$/;

export interface SidOwner {
  slot: number;
  incarnation: number;
}

/** Incarnations wrap around; only equality matters. */
export function normalizeIncarnation(incarnation: number): number {
  return incarnation % INCARNATIONS;
}

export function makeSid(owner: SidOwner): string {
  const random = randomBytes(12).toString("base64url").slice(0, 15);
  return (
    owner.slot.toString(36).padStart(SLOT_CHARS, "0") +
    normalizeIncarnation(owner.incarnation).toString(36).padStart(INCARNATION_CHARS, "0") +
    random
  );
}

/** The owner a sid names, or undefined for a sid we did not make. */
export function ownerOfSid(sid: string): SidOwner | undefined {
  if (!SID.test(sid)) return undefined;
  return {
    slot: parseInt(sid.slice(0, SLOT_CHARS), 36),
    incarnation: parseInt(sid.slice(SLOT_CHARS, SLOT_CHARS + INCARNATION_CHARS), 36),
  };
}
