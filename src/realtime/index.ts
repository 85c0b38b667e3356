// The realtime side of a worker: handshake auth, the client protocol on every served
// namespace, and the facade the push API uses. Events (see README "Socket.IO protocol"):
//   join(room) leave(room) publish({ room, type, data, id? }) presence(room)
//   kick({ room, sub }) whoami()  → ack { ok: true, ... } | { ok: false, error: { code, message } }
//   server → client: message(envelope[, ack]) presence(change) kicked({ room, by })
import type { Server } from "socket.io";
import type { Logger } from "../log.js";
import { authenticator, type AuthSettings } from "./auth.js";
import { Delivery, type ClaimMessageId } from "./delivery.js";
import { NamespaceDirectory } from "./namespaces.js";
import { handleConnections, type ProtocolLimits } from "./protocol.js";
import { realtimeApi, type RealtimeApi } from "./server-api.js";

export type { RealtimeApi, PushMessage, PushTarget } from "./server-api.js";
export { UnknownNamespaceError } from "./server-api.js";
export { UnavailableError } from "./delivery.js";
export { socketServerOptions } from "./transport-options.js";
export type { Envelope } from "./envelope.js";
export { CLIENT_EVENTS } from "./protocol.js";
export { roomName, messageType, messageId, subject, describeIssues } from "./schemas.js";

export interface RealtimeSettings extends AuthSettings, ProtocolLimits {
  namespaces: string[];
}

export interface RealtimeDeps {
  config: RealtimeSettings;
  /** Cluster-wide idempotency window (the primary's `claim-message-id`). */
  claimMessageId: ClaimMessageId;
  slot: number;
  log: Logger;
}

export function registerRealtime(io: Server, deps: RealtimeDeps): RealtimeApi {
  const { config, log } = deps;
  const auth = authenticator(config, log.child("auth"));
  const delivery = new Delivery(deps.claimMessageId);
  const protocol = { delivery, limits: config, slot: deps.slot, log };
  const namespaces = new NamespaceDirectory(io, config.namespaces, (nsp) => {
    nsp.use(auth);
    handleConnections(nsp, protocol);
  });
  return realtimeApi(namespaces, delivery);
}
