// Which role a user has in a room, from the token's `rooms` claim. Keys are room names or
// globs where `*` matches any run of characters (`team-*`). An exact key wins over globs;
// among matching globs the strongest role wins, so `{ "team-*": "member", "team-ops":
// "viewer" }` makes team-ops read-only while every other team room is writable.
import { ROLES, USER_ROOM_PREFIX, type Identity, type Role } from "./identity.js";

const compiled = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = compiled.get(glob);
  if (!re) {
    const body = glob
      .split("*")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))
      .join("[^]*");
    re = new RegExp(`^${body}$`);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(glob, re);
  }
  return re;
}

export function matchesGlob(glob: string, name: string): boolean {
  return glob.includes("*") ? globToRegExp(glob).test(name) : glob === name;
}

export function roleIn(identity: Identity, room: string): Role | null {
  if (identity.rooms === null) return "member";
  const exact = identity.rooms[room];
  if (exact) return exact;
  let best: Role | null = null;
  for (const [pattern, role] of Object.entries(identity.rooms)) {
    if (!pattern.includes("*") || !globToRegExp(pattern).test(room)) continue;
    if (best === null || ROLES.indexOf(role) > ROLES.indexOf(best)) best = role;
  }
  return best;
}

export function atLeast(role: Role | null, needed: Role): boolean {
  return role !== null && ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export function isUserRoom(room: string): boolean {
  return room.startsWith(USER_ROOM_PREFIX);
}

// Sockets that may see presence of a room (members and admins who joined it) are also in
// a hidden companion room, so presence changes reach them and not viewers. Client room
// names cannot contain control characters, so no client can join or forge one.
const WATCHERS_PREFIX = "\u0000presence\u0000";

export function presenceWatchers(room: string): string {
  return WATCHERS_PREFIX + room;
}

/** Rooms a client chose to be in: not its socket-id room, user room or hidden rooms. */
export function isClientRoom(room: string, socketId: string): boolean {
  return room !== socketId && !room.startsWith(WATCHERS_PREFIX) && !isUserRoom(room);
}
