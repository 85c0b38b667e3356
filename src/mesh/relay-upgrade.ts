// Relays a websocket whose session lives on another worker: we accept the client's upgrade
// only once the owner accepted ours, then pass frames both ways for the connection's life.
//
// Only polling-first sessions ever need this (their upgrade may land on any worker). The
// owner sees an ordinary engine.io upgrade on its private port, so rooms, acks and uWS fast
// publish work on the relayed session exactly as on a direct one.
import WebSocket from "ws";
import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocket as UwsSocket } from "uWebSockets.js";
import { FORWARDED_HEADER } from "./router.js";
import { respondSessionUnknown } from "./forward-polling.js";
import type { MeshStats } from "./stats.js";
import type { Logger } from "../log.js";

/** Client-side backpressure above which we stop reading from the owner. */
const PAUSE_ABOVE_BYTES = 16 * 1024;
/** Owner-side buffer above which the client is sending faster than the owner reads. */
const MAX_UPSTREAM_BUFFER_BYTES = 4 * 1024 * 1024;
/** Headers of the client's upgrade that the owner's engine may look at. */
const PASSED_HEADERS = ["origin", "cookie", "user-agent", "authorization", "accept-language"];

export interface Relay {
  upstream: WebSocket;
  client: UwsSocket<RelayUserData> | undefined;
  /** Owner frames not yet written to the client (before it opened, or until the next flush). */
  outbox: Array<{ data: Buffer; isBinary: boolean }>;
  closed: boolean;
  paused: boolean;
  ctx: RelayContext;
}

export interface RelayUserData {
  relay: Relay;
}

export function isRelay(userData: unknown): userData is RelayUserData {
  return typeof userData === "object" && userData !== null && "relay" in userData;
}

export interface RelayContext {
  stats: MeshStats;
  log: Logger;
  corsHeaders(origin: string | undefined): Array<[string, string]>;
  /** Relays whose client side is open, so a draining worker can hand them back. */
  open: Set<Relay>;
}

/** WebSocket close code 1012 "Service Restart": the client reconnects by itself. */
const SERVICE_RESTART = 1012;

/**
 * Closes every relay this worker holds (when it drains): the client is told the service
 * restarts and reconnects, the owner sees the connection go and ends the session. Without
 * this, relays would die with the process, and a client could still be writing into one.
 */
export function closeAllRelays(ctx: RelayContext): void {
  for (const relay of ctx.open) {
    relay.closed = true;
    relay.upstream.close(1001);
    relay.client?.end(SERVICE_RESTART, "service restart");
  }
}

/** Close codes a peer may send in a close frame (RFC 6455 §7.4). */
function sendableCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

export function relayUpgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t, port: number, ctx: RelayContext): void {
  // The HttpRequest is gone once this function returns: read everything now.
  const key = req.getHeader("sec-websocket-key");
  const protocol = req.getHeader("sec-websocket-protocol");
  const extensions = req.getHeader("sec-websocket-extensions");
  const url = `ws://127.0.0.1:${port}${req.getUrl()}?${req.getQuery()}`;
  const headers: Record<string, string> = { [FORWARDED_HEADER]: "1", "x-forwarded-for": Buffer.from(res.getRemoteAddressAsText()).toString() };
  for (const name of PASSED_HEADERS) {
    const value = req.getHeader(name);
    if (value) headers[name] = value;
  }

  let aborted = false;
  const upstream = new WebSocket(url, protocol ? protocol.split(",").map((p) => p.trim()) : [], {
    headers,
    perMessageDeflate: false, // loopback: compressing twice costs CPU and saves nothing
    handshakeTimeout: 10_000,
  });
  const relay: Relay = { upstream, client: undefined, outbox: [], closed: false, paused: false, ctx };

  res.onAborted(() => {
    aborted = true;
    upstream.terminate();
  });

  const refuse = () => {
    if (aborted) return;
    aborted = true;
    upstream.terminate();
    respondSessionUnknown(res, ctx.corsHeaders(headers["origin"]));
  };
  upstream.once("unexpected-response", (request, response) => {
    response.resume();
    request.destroy();
    refuse();
  });
  upstream.once("error", refuse);

  upstream.once("open", () => {
    upstream.off("error", refuse);
    if (aborted) {
      upstream.close();
      return;
    }
    attachUpstream(relay, ctx);
    res.cork(() => res.upgrade<RelayUserData>({ relay }, key, protocol, extensions, context));
  });
}

function attachUpstream(relay: Relay, ctx: RelayContext): void {
  const { upstream } = relay;
  upstream.on("message", (data: Buffer, isBinary: boolean) => {
    if (relay.closed) return;
    relay.outbox.push({ data, isBinary });
    if (relay.client) scheduleFlush(relay);
  });
  upstream.on("close", (code: number, reason: Buffer) => {
    const client = relay.client;
    if (relay.closed || !client) {
      relay.closed = true;
      return;
    }
    flush(relay); // what the owner sent before closing still reaches the client
    relay.closed = true;
    // The owner closed (or vanished: 1006). Close the client the same way so it reconnects.
    if (sendableCode(code)) client.end(code, reason);
    else if (code === 1005) client.end(1000);
    else client.close();
  });
  upstream.on("error", (err) => ctx.log.debug("relay upstream error", { error: err }));
}

// Frames from owners are written to clients once per turn of the event loop, all of a
// client's frames in one cork: one syscall for many deliveries instead of one each (the
// owner's uWS batches its fast publishes the same way, so a turn often brings dozens).
const pendingFlush = new Set<Relay>();
let flushScheduled = false;

function scheduleFlush(relay: Relay): void {
  pendingFlush.add(relay);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    for (const r of pendingFlush) flush(r);
    pendingFlush.clear();
  });
}

function flush(relay: Relay): void {
  const client = relay.client;
  if (!client || relay.closed || relay.outbox.length === 0) return;
  const frames = relay.outbox;
  relay.outbox = [];
  let dropped = 0;
  client.cork(() => {
    // 2: dropped, as uWS drops for any receiver slower than maxBackpressure.
    for (const { data, isBinary } of frames) if (client.send(data, isBinary) === 2) dropped++;
  });
  relay.ctx.stats.relayDropped += dropped;
  // A slow client: stop reading from the owner until uWS drains, so this worker buffers at
  // most what is in flight, and the owner feels the backpressure as it would from a direct
  // client.
  if (!relay.paused && client.getBufferedAmount() > PAUSE_ABOVE_BYTES) {
    relay.paused = true;
    relay.upstream.pause();
  }
}

/** The uWS handlers of a relayed connection: called by the mesh's websocket behaviour. */
export const relayHandlers = {
  open(client: UwsSocket<RelayUserData>, ctx: RelayContext): void {
    const relay = client.getUserData().relay;
    ctx.stats.relays++;
    ctx.stats.relayedTotal++;
    ctx.open.add(relay);
    if (relay.closed) {
      // The owner closed while the client was opening.
      client.end(1011);
      return;
    }
    relay.client = client;
    flush(relay);
  },

  message(client: UwsSocket<RelayUserData>, message: ArrayBuffer, isBinary: boolean): void {
    const relay = client.getUserData().relay;
    if (relay.closed || relay.upstream.readyState !== WebSocket.OPEN) return;
    // uWS reuses the message's memory after this callback: copy (text decodes to a copy).
    relay.upstream.send(isBinary ? Buffer.from(new Uint8Array(message)) : Buffer.from(message).toString(), { binary: isBinary });
    if (relay.upstream.bufferedAmount > MAX_UPSTREAM_BUFFER_BYTES) {
      // uWS cannot pause reading a websocket in this version; a client that outruns its
      // owner by this much is cut off rather than buffered without bound.
      relay.closed = true;
      relay.upstream.terminate();
      client.end(1013, "owner is not keeping up");
    }
  },

  drain(client: UwsSocket<RelayUserData>): void {
    const relay = client.getUserData().relay;
    if (relay.paused && client.getBufferedAmount() <= PAUSE_ABOVE_BYTES / 2) {
      relay.paused = false;
      relay.upstream.resume();
    }
  },

  close(client: UwsSocket<RelayUserData>, code: number, message: ArrayBuffer, ctx: RelayContext): void {
    const relay = client.getUserData().relay;
    ctx.stats.relays--;
    ctx.open.delete(relay);
    relay.client = undefined;
    relay.outbox = [];
    if (relay.closed) return;
    relay.closed = true;
    const { upstream } = relay;
    if (upstream.readyState !== WebSocket.OPEN) {
      upstream.terminate();
      return;
    }
    if (sendableCode(code)) upstream.close(code, Buffer.from(new Uint8Array(message)));
    else if (code === 1005) upstream.close();
    else upstream.terminate(); // 1006: the client vanished; the owner sees a dropped connection too
  },
};
