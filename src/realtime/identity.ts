// Who a socket is. Every socket carries one Identity in `socket.data`, so presence and kick
// can read it from sockets on other workers too (`fetchSockets` ships `data` across).
export const ROLES = ["viewer", "member", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  /** The user id: the token's `sub`, or the socket id in anonymous mode. */
  sub: string;
  name: string | null;
  /** Room name or glob → role; null means "any room, as member" (no `rooms` claim, or anonymous). */
  rooms: Record<string, Role> | null;
  anonymous: boolean;
}

export interface SocketData {
  identity: Identity;
}

/** Reads the identity of a local or remote socket; undefined for a socket we did not set up. */
export function identityOf(socket: { data: unknown }): Identity | undefined {
  const data = socket.data as Partial<SocketData> | undefined;
  return data?.identity;
}

/** The room every socket of a user is in, on every worker: how a backend reaches all its devices. */
export function userRoom(sub: string): string {
  return `user:${sub}`;
}

export const USER_ROOM_PREFIX = "user:";
