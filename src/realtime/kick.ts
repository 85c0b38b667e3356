// Kick: every socket of a user leaves a room, on every worker, and is told so. Done with
// the adapter's remote sockets, so the worker that asks need not hold any of them.
import type { Namespace } from "socket.io";
import { identityOf, userRoom } from "./identity.js";
import { announceGone } from "./presence.js";
import { presenceWatchers } from "./room-access.js";

export interface Kicked {
  room: string;
  /** Who kicked: an admin's sub, or "server" for the push API. */
  by: string;
}

/** Returns how many sockets were removed from the room. */
export async function kickUser(nsp: Namespace, room: string, sub: string, by: string): Promise<number> {
  const sockets = (await nsp.in(userRoom(sub)).timeout(5_000).fetchSockets()).filter((s) => s.rooms.has(room));
  for (const socket of sockets) {
    socket.leave(room);
    socket.leave(presenceWatchers(room));
    const notice: Kicked = { room, by };
    socket.emit("kicked", notice);
  }
  const identity = sockets.map(identityOf).find((i) => i !== undefined);
  // Every socket of the user in the room was just removed: no need to count again.
  if (identity) announceGone(nsp, identity, room);
  return sockets.length;
}
