/** What a worker's mesh is doing right now, and has done, for /api/stats. */
export interface MeshStats {
  /** Polling requests this worker is forwarding to their owner now. */
  forwarding: number;
  forwardedTotal: number;
  /** Websocket connections this worker relays to their owner now. */
  relays: number;
  relayedTotal: number;
  /** Frames to a relayed client that uWS dropped because the client was too slow. */
  relayDropped: number;
}

export function newMeshStats(): MeshStats {
  return { forwarding: 0, forwardedTotal: 0, relays: 0, relayedTotal: 0, relayDropped: 0 };
}
