// Decides where a request for the Socket.IO path goes: to this worker's engine, to the
// worker that owns its session (over loopback), or nowhere (the owner is gone).
import type { Peer } from "../ipc/messages.js";
import { normalizeIncarnation, ownerOfSid, type SidOwner } from "./sid.js";

/** Set on every request a worker forwards or relays: the receiver always serves it itself. */
export const FORWARDED_HEADER = "x-realtime-edge-forwarded";

export type Route = { kind: "local" } | { kind: "peer"; port: number; slot: number } | { kind: "unknown" };

export class SidRouter {
  private peers = new Map<number, Peer>();

  constructor(private readonly self: SidOwner) {}

  updatePeers(peers: readonly Peer[]): void {
    this.peers = new Map(peers.filter((p) => p.slot !== this.self.slot).map((p) => [p.slot, p]));
  }

  route(sid: string, forwarded: boolean): Route {
    // A handshake (no sid) is served where it lands; so is anything already forwarded once.
    if (!sid || forwarded) return { kind: "local" };
    const owner = ownerOfSid(sid);
    // Not one of ours: engine.io answers it (with its own "Session ID unknown").
    if (!owner) return { kind: "local" };
    if (owner.slot === this.self.slot) {
      return normalizeIncarnation(owner.incarnation) === normalizeIncarnation(this.self.incarnation) ? { kind: "local" } : { kind: "unknown" };
    }
    const peer = this.peers.get(owner.slot);
    if (!peer || normalizeIncarnation(peer.incarnation) !== normalizeIncarnation(owner.incarnation)) return { kind: "unknown" };
    return { kind: "peer", port: peer.privatePort, slot: peer.slot };
  }
}
