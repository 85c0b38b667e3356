// Polling-first clients, the stock socket.io-client default, against websocket-first ones.
//
// `polling`: the same fan-out to P subscribers twice: websocket-direct sessions, then
// sessions that start with HTTP long-polling and upgrade. On realtime-edge (uws) the
// handshake goes to worker 0 and the upgrade is made to land on worker 1, so every
// delivery crosses the mesh's websocket relay: relayed ÷ direct is the relay's cost.
// Peers that route by sid in their primary (@socket.io/sticky) upgrade on the owner.
//
// `forward`: polling-only sessions owned by worker 0 whose every request (long-poll GET,
// POST) is sent to worker 1, which forwards it: forwarded requests per second by one
// worker, against the same sessions' requests sent straight to the owner.
import type { Client } from "undici";
import { LatencyHistogram } from "../client/latency.js";
import { httpClientOnSlot, tcpSocketOnSlot } from "../client/slot-connection.js";
import { PollingSession } from "../client/socketio-polling.js";
import { SocketIoWsClient } from "../client/socketio-ws.js";
import { nextSourceAddress } from "../client/source-addresses.js";
import type { RunningPeer } from "../peer-runner.js";
import type { Progress } from "../progress.js";
import { round2 } from "./connections.js";
import { roomFanout, type FanoutOptions, type FanoutResult } from "./fanout.js";

const OWNER_SLOT = 0;
const OTHER_SLOT = 1;
const PROBE_ATTEMPTS = 40;

export interface PollingResult {
  status: "ok" | "failed";
  reason?: string;
  /** relayed: upgrades forced onto the non-owner worker; sticky: the peer routes upgrades itself. */
  mode: "relayed" | "sticky";
  subscribers: number;
  /** Polling-first sessions that failed (handshake or upgrade) and were started again once. */
  failedSessionAttempts: number;
  firstSessionError?: string;
  /** realtime-edge only: websocket relays and forwarded requests the workers counted meanwhile. */
  meshDelta?: MeshDelta;
  websocketDirect: FanoutResult;
  pollingFirst: FanoutResult | null;
  /** pollingFirst ÷ websocketDirect deliveries per second. */
  deliveriesRatio: number | null;
  /** pollingFirst ÷ websocketDirect p99 latency. */
  p99Ratio: number | null;
}

export interface MeshDelta {
  relayed: number;
  forwarded: number;
  relayDropped: number;
}

export interface ForwardRun {
  requests: number;
  requestsPerSecond: number;
  acks: number;
  p50Ms: number | null;
  p99Ms: number | null;
  serverCpuSeconds: number;
  serverCpuMicrosPerRequest: number | null;
}

export interface ForwardResult {
  status: "ok" | "failed";
  reason?: string;
  sessions: number;
  ownerSlot: number;
  forwardingSlot: number;
  direct: ForwardRun;
  forwarded: ForwardRun | null;
  /** forwarded ÷ direct requests per second. */
  ratio: number | null;
  meshDelta?: MeshDelta;
}

export interface PollingOptions {
  subscribers: number;
  fanout: FanoutOptions;
  timeoutMs: number;
}

async function inBatches<T>(count: number, concurrency: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await make(i);
      }
    }),
  );
  return out;
}

async function closeAll(clients: Client[]): Promise<void> {
  await Promise.all(clients.map((c) => c.destroy().catch(() => {})));
}

export async function pollingVsDirect(peer: RunningPeer, options: PollingOptions, progress: Progress): Promise<PollingResult> {
  const mode = peer.spec.mesh ? "relayed" : "sticky";
  const direct = await inBatches(options.subscribers, 64, () =>
    SocketIoWsClient.connect({ url: peer.url, localAddress: nextSourceAddress(), timeoutMs: options.timeoutMs }),
  );
  const websocketDirect = await roomFanout(peer, direct, direct.length, options.fanout, progress);
  for (const c of direct) c.close();

  const handshakeClients: Client[] = [];
  const upgraded: SocketIoWsClient[] = [];
  let failedSessions = 0;
  let firstError: string | undefined;
  try {
    for (let i = 0; i < 8; i++) handshakeClients.push((await httpClientOnSlot(peer.url, peer.spec.mesh ? OWNER_SLOT : null, PROBE_ATTEMPTS)).client);
    await inBatches(options.subscribers, handshakeClients.length, async (i) => {
      // A stock client whose session fails starts a new one: so do we, once.
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const session = await PollingSession.open(handshakeClients[i % handshakeClients.length]!);
          const socket = peer.spec.mesh ? await tcpSocketOnSlot("127.0.0.1", peer.port, OTHER_SLOT, PROBE_ATTEMPTS) : undefined;
          upgraded.push(await session.upgrade(peer.url, options.timeoutMs, socket));
          break;
        } catch (err) {
          failedSessions += 1;
          firstError ??= (err as Error).message;
        }
      }
      progress.tick(() => `${peer.spec.id} polling-first: ${upgraded.length}/${options.subscribers} upgraded, ${failedSessions} failed attempts`);
    });
  } catch (err) {
    firstError ??= (err as Error).message;
  }
  if (upgraded.length < options.subscribers / 2) {
    for (const c of upgraded) c.close();
    await closeAll(handshakeClients);
    return { status: "failed", reason: `polling-first sessions failed: ${firstError}`, mode, subscribers: options.subscribers, failedSessionAttempts: failedSessions, websocketDirect, pollingFirst: null, deliveriesRatio: null, p99Ratio: null };
  }
  const pollingFirst = await roomFanout(peer, upgraded, upgraded.length, options.fanout, progress);
  for (const c of upgraded) c.close();
  await closeAll(handshakeClients);
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? round2(a / b) : null);
  return {
    status: pollingFirst.status === "ok" && websocketDirect.status === "ok" ? "ok" : "failed",
    ...(pollingFirst.reason ? { reason: pollingFirst.reason } : websocketDirect.reason ? { reason: websocketDirect.reason } : {}),
    mode,
    subscribers: options.subscribers,
    failedSessionAttempts: failedSessions,
    ...(firstError ? { firstSessionError: firstError } : {}),
    websocketDirect,
    pollingFirst,
    deliveriesRatio: ratio(pollingFirst.deliveriesPerSecond, websocketDirect.deliveriesPerSecond),
    p99Ratio: ratio(pollingFirst.p99Ms, websocketDirect.p99Ms),
  };
}

export interface ForwardOptions {
  sessions: number;
  durationMs: number;
  timeoutMs: number;
}

export async function forwardedRequests(peer: RunningPeer, options: ForwardOptions, progress: Progress): Promise<ForwardResult> {
  const base = { sessions: options.sessions, ownerSlot: OWNER_SLOT, forwardingSlot: OTHER_SLOT };
  const direct = await forwardRun(peer, OWNER_SLOT, options, progress);
  if ("error" in direct) {
    return { status: "failed", reason: `direct polling failed: ${direct.error}`, ...base, direct: emptyRun(), forwarded: null, ratio: null };
  }
  const forwarded = await forwardRun(peer, OTHER_SLOT, options, progress);
  if ("error" in forwarded) {
    return { status: "failed", reason: `forwarded polling failed: ${forwarded.error}`, ...base, direct, forwarded: null, ratio: null };
  }
  return { status: "ok", ...base, direct, forwarded, ratio: direct.requestsPerSecond > 0 ? round2(forwarded.requestsPerSecond / direct.requestsPerSecond) : null };
}

function emptyRun(): ForwardRun {
  return { requests: 0, requestsPerSecond: 0, acks: 0, p50Ms: null, p99Ms: null, serverCpuSeconds: 0, serverCpuMicrosPerRequest: null };
}

/** Sessions owned by worker 0; their GETs and POSTs go to `viaSlot`. Closed loop: one publish in flight per session. */
async function forwardRun(peer: RunningPeer, viaSlot: number, options: ForwardOptions, progress: Progress): Promise<ForwardRun | { error: string }> {
  const clients: Client[] = [];
  const open = async (slot: number) => {
    const { client } = await httpClientOnSlot(peer.url, slot, PROBE_ATTEMPTS);
    clients.push(client);
    return client;
  };
  try {
    const handshake = await open(OWNER_SLOT);
    const sessions = await inBatches(options.sessions, 8, async () => ({
      session: await PollingSession.open(handshake),
      get: await open(viaSlot),
      post: await open(viaSlot),
    }));
    const histogram = new LatencyHistogram();
    let requests = 0;
    let acks = 0;
    let failure: string | undefined;
    const usageBefore = peer.usage();
    const t0 = performance.now();
    const stopAt = t0 + options.durationMs;
    const room = `fwd-nobody-${Date.now().toString(36)}`;

    await Promise.all(
      sessions.map(async ({ session, get, post }) => {
        let sentAt = 0;
        let ackId = 0;
        let waiting: (() => void) | undefined;
        let running = true;
        const poller = (async () => {
          while (running && failure === undefined) {
            const packets = await session.get(get);
            requests += 1;
            for (const p of packets) {
              if (p === "2") {
                await session.post(post, ["3"]);
                requests += 1;
              } else if (p.startsWith("43")) {
                histogram.record(performance.now() - sentAt);
                acks += 1;
                waiting?.();
              } else if (p === "1" || p === "6") {
                running = false;
              }
            }
          }
        })().catch((err: Error) => {
          failure ??= err.message;
          waiting?.();
        });
        while (performance.now() < stopAt && failure === undefined) {
          const acked = new Promise<void>((resolve) => (waiting = resolve));
          sentAt = performance.now();
          await session.post(post, [`42${ackId++}${JSON.stringify(["publish", { room, type: "fwd", data: { t: sentAt } }])}`]);
          requests += 1;
          await Promise.race([acked, new Promise((r) => setTimeout(r, options.timeoutMs))]);
          progress.tick(() => `${peer.spec.id} polling via worker ${viaSlot}: ${requests} requests`);
        }
        running = false;
        // Closing the session ends its pending long-poll (the server answers it with a close packet).
        await session.post(post, ["1"]).catch(() => {});
        await Promise.race([poller, new Promise((r) => setTimeout(r, 1_000))]);
      }),
    );
    const elapsed = performance.now() - t0;
    const cpu = peer.usage().cpuSeconds - usageBefore.cpuSeconds;
    if (failure !== undefined && acks === 0) return { error: failure };
    const lat = histogram.summary();
    return {
      requests,
      requestsPerSecond: Math.round((requests / elapsed) * 1000),
      acks,
      p50Ms: lat.p50Ms,
      p99Ms: lat.p99Ms,
      serverCpuSeconds: round2(cpu),
      serverCpuMicrosPerRequest: requests > 0 ? round2((cpu * 1e6) / requests) : null,
    };
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    await closeAll(clients);
  }
}
