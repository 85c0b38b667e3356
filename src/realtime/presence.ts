// Presence: who is in a room, across every worker, one entry per user however many
// sockets (devices, tabs) it has there. Read through the adapter (`fetchSockets`), so it
// is always the live state and there is nothing to keep in sync.
//
// Change events (`presence` with action "join" or "leave") go to the room's members and
// admins when a user's first socket enters or its last socket leaves. They are best effort:
// two sockets of one user joining at the same instant on two workers may both announce.
// The `presence` query is the authoritative list.
import type { Namespace } from "socket.io";
import { identityOf, userRoom, type Identity } from "./identity.js";
import { presenceWatchers } from "./room-access.js";

export interface PresenceMember {
  sub: string;
  name: string | null;
  connections: number;
}

export interface PresenceChange {
  room: string;
  action: "join" | "leave";
  member: { sub: string; name: string | null };
}

const FETCH_TIMEOUT_MS = 5_000;

export async function presenceOf(nsp: Namespace, room: string): Promise<PresenceMember[]> {
  const sockets = await nsp.in(room).timeout(FETCH_TIMEOUT_MS).fetchSockets();
  const members = new Map<string, PresenceMember>();
  for (const socket of sockets) {
    const identity = identityOf(socket);
    if (!identity) continue;
    const entry = members.get(identity.sub);
    if (entry) entry.connections++;
    else members.set(identity.sub, { sub: identity.sub, name: identity.name, connections: 1 });
  }
  return [...members.values()].sort((a, b) => (a.sub < b.sub ? -1 : a.sub > b.sub ? 1 : 0));
}

/** How many of a user's sockets, on any worker, are in each of `rooms`. */
async function userSocketsIn(nsp: Namespace, identity: Identity, rooms: string[]): Promise<Map<string, number>> {
  const counts = new Map(rooms.map((r) => [r, 0]));
  const sockets = await nsp.in(userRoom(identity.sub)).timeout(FETCH_TIMEOUT_MS).fetchSockets();
  for (const socket of sockets) for (const room of rooms) if (socket.rooms.has(room)) counts.set(room, counts.get(room)! + 1);
  return counts;
}

function announce(nsp: Namespace, exceptSid: string | undefined, change: PresenceChange): void {
  const operator = nsp.to(presenceWatchers(change.room));
  (exceptSid ? operator.except(exceptSid) : operator).emit("presence", change);
}

/** Announces that a user no longer has any socket in `room` (after a kick, say). */
export function announceGone(nsp: Namespace, identity: Identity, room: string): void {
  announce(nsp, undefined, { room, action: "leave", member: { sub: identity.sub, name: identity.name } });
}

/** After a socket joined `room`: announce the user if this is its only socket there. */
export async function announceJoin(nsp: Namespace, socketId: string, identity: Identity, room: string): Promise<void> {
  // An anonymous user is one socket: no need to ask the other workers.
  const count = identity.anonymous ? 1 : (await userSocketsIn(nsp, identity, [room])).get(room)!;
  if (count === 1) announce(nsp, socketId, { room, action: "join", member: { sub: identity.sub, name: identity.name } });
}

/** After a socket left `rooms` (or disconnected): announce the user where no socket of it remains. */
export async function announceLeave(nsp: Namespace, identity: Identity, rooms: string[]): Promise<void> {
  if (rooms.length === 0) return;
  const counts = identity.anonymous ? new Map(rooms.map((r) => [r, 0])) : await userSocketsIn(nsp, identity, rooms);
  for (const [room, count] of counts) {
    if (count === 0) announce(nsp, undefined, { room, action: "leave", member: { sub: identity.sub, name: identity.name } });
  }
}
