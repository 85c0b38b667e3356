// What the push API (HTTP) can do with the realtime side, on any worker: publish to a
// room, a user or everyone, read presence, kick. The HTTP layer validates requests and
// maps these results to responses; it never touches Socket.IO itself.
import type { Delivered, Delivery } from "./delivery.js";
import { userRoom } from "./identity.js";
import { kickUser } from "./kick.js";
import type { NamespaceDirectory } from "./namespaces.js";
import { presenceOf, type PresenceMember } from "./presence.js";

export type PushTarget = { room: string } | { user: string } | { broadcast: true };

export interface PushMessage {
  target: PushTarget;
  type: string;
  data: unknown;
  id?: string | undefined;
  namespace: string;
}

export class UnknownNamespaceError extends Error {
  readonly code = "unknown_namespace";
  constructor(readonly namespace: string) {
    super(`namespace ${namespace} is not served here (see NAMESPACES)`);
  }
}

export interface RealtimeApi {
  serves(namespace: string): boolean;
  publish(message: PushMessage): Promise<Delivered>;
  /** For a user target: waits for the clients' acknowledgements, at most `timeoutMs`. */
  publishWithAck(message: PushMessage & { target: { user: string } }, timeoutMs: number): Promise<Delivered & { sockets: number; acked: number }>;
  presence(namespace: string, room: string): Promise<PresenceMember[]>;
  kick(namespace: string, room: string, sub: string): Promise<number>;
}

const SERVER = "server";

export function realtimeApi(namespaces: NamespaceDirectory, delivery: Delivery): RealtimeApi {
  const nspOf = async (name: string) => {
    const nsp = await namespaces.resolve(name);
    if (!nsp) throw new UnknownNamespaceError(name);
    return nsp;
  };
  return {
    serves: (name) => namespaces.serves(name),
    async publish(message) {
      const nsp = await nspOf(message.namespace);
      const { target } = message;
      const outgoing = { type: message.type, data: message.data, id: message.id, from: SERVER };
      if ("broadcast" in target) return delivery.publish(nsp, { broadcast: true }, outgoing);
      return delivery.publish(nsp, { room: "room" in target ? target.room : userRoom(target.user) }, outgoing);
    },
    async publishWithAck(message, timeoutMs) {
      const nsp = await nspOf(message.namespace);
      return delivery.publishWithAck(nsp, userRoom(message.target.user), { type: message.type, data: message.data, id: message.id, from: SERVER }, timeoutMs);
    },
    async presence(namespace, room) {
      return presenceOf(await nspOf(namespace), room);
    },
    async kick(namespace, room, sub) {
      return kickUser(await nspOf(namespace), room, sub, SERVER);
    },
  };
}
