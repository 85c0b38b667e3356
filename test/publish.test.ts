// Publishing: idempotency across workers, the rate limit, the size limit, unknown events
// and bad input; compression switched off.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Socket } from "socket.io-client";
import { startCluster, type RunningCluster } from "./helpers/cluster.js";
import { closeAll, connect, request, record } from "./helpers/clients.js";
import { nextEvent } from "./helpers/wait.js";
import { JWT_SECRET, signToken, type Claims } from "./helpers/tokens.js";
import { connectSpread, WS } from "./helpers/realtime.js";

let cluster: RunningCluster;
const sockets: Socket[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    env: { JWT_SECRET, PUBLISH_RATE: "1", PUBLISH_BURST: "5", MAX_MESSAGE_BYTES: "1024", COMPRESSION: "off" },
  });
});

afterAll(async () => {
  closeAll(sockets);
  await cluster?.stop();
});

async function user(claims: Claims, options: Record<string, unknown> = {}): Promise<Socket> {
  const socket = await connect(cluster.url, { ...WS, ...options, auth: { token: await signToken(claims) } });
  sockets.push(socket);
  return socket;
}

/** Publishes a marker and waits for it: everything published before it has arrived by then. */
async function flush(publisher: Socket, receiver: Socket, room: string): Promise<void> {
  const marker = nextEvent<any>(receiver, "message");
  const ack = await request(publisher, "publish", { room, type: "marker" });
  expect((await marker).id).toBe(ack.id);
}

describe("idempotent publish", () => {
  it("acknowledges the same id again as a duplicate and delivers it once, across workers", async () => {
    const placed = await connectSpread(cluster.url, { auth: { token: await signToken({ sub: "retrier" }) } });
    sockets.push(...placed.map((p) => p.socket));
    const first = placed[0]!;
    const onOtherWorker = placed.find((p) => p.worker !== first.worker)!;
    const receiver = await user({ sub: "reader" });
    await request(receiver, "join", "orders");
    const seen = record<any>(receiver, "message");

    const id = "0b6e9a5c-6f3b-4f0e-9d2a-000000000001";
    const original = await request(first.socket, "publish", { room: "orders", type: "order", data: { n: 1 }, id });
    expect(original).toEqual({ ok: true, id });
    // The retry lands on the other worker, as after a reconnect: still a duplicate.
    const retry = await request(onOtherWorker.socket, "publish", { room: "orders", type: "order", data: { n: 1 }, id });
    expect(retry).toEqual({ ok: true, id, duplicate: true });
    const again = await request(first.socket, "publish", { room: "orders", type: "order", data: { n: 1 }, id });
    expect(again).toEqual({ ok: true, id, duplicate: true });

    await flush(first.socket, receiver, "orders");
    expect(seen.filter((m) => m.type === "order")).toEqual([{ id, room: "orders", type: "order", data: { n: 1 }, from: "retrier", timestamp: expect.any(Number) }]);
  });

  it("keeps ids of different users apart", async () => {
    const a = await user({ sub: "ann" });
    const b = await user({ sub: "ben" });
    const id = "same-id-for-two-users";
    expect(await request(a, "publish", { room: "shared", type: "t", id })).toEqual({ ok: true, id });
    expect(await request(b, "publish", { room: "shared", type: "t", id })).toEqual({ ok: true, id });
  });

  it("makes client retries safe: a client with retries and ackTimeout gets its ack", async () => {
    const s = await user({ sub: "patient" }, { retries: 3, ackTimeout: 10_000 });
    const ack = await s.emitWithAck("publish", { room: "r", type: "t", id: "retry-safe-1" });
    expect(ack).toEqual({ ok: true, id: "retry-safe-1" });
  });

  it("refuses an id with characters outside its alphabet", async () => {
    const s = await user({ sub: "odd-id" });
    const refused = await request(s, "publish", { room: "r", type: "t", id: "has space" });
    expect(refused).toMatchObject({ ok: false, error: { code: "invalid_message" } });
    expect(refused.error.message).toMatch(/id/);
  });
});

describe("limits", () => {
  it("rate-limits a socket past its burst with rate_limited, and the socket lives on", async () => {
    const s = await user({ sub: "flooder" });
    const acks = [];
    for (let i = 0; i < 20; i++) acks.push(await request(s, "publish", { room: "flood", type: "t", data: i }));
    // Burst 5, then 1 per second: the first five pass, and 20 in a row cannot all pass.
    expect(acks.slice(0, 5).every((a) => a.ok)).toBe(true);
    const limited = acks.filter((a) => !a.ok);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ ok: false, error: { code: "rate_limited" } });
    expect(limited[0].retryAfterMs).toBeGreaterThan(0);
    expect(s.connected).toBe(true);
    expect(await request(s, "join", "still-here")).toEqual({ ok: true, room: "still-here" });
    // Another socket of the same user has its own bucket.
    const other = await user({ sub: "flooder" });
    expect((await request(other, "publish", { room: "flood", type: "t" })).ok).toBe(true);
  });

  it("refuses data over MAX_MESSAGE_BYTES with payload_too_large and keeps the socket", async () => {
    const s = await user({ sub: "big" });
    const refused = await request(s, "publish", { room: "r", type: "t", data: "x".repeat(2000) });
    expect(refused).toMatchObject({ ok: false, error: { code: "payload_too_large" } });
    expect(refused.error.message).toMatch(/1024/);
    expect(await request(s, "publish", { room: "r", type: "t", data: "x".repeat(900) })).toMatchObject({ ok: true });
  });

  it("answers unknown events with an error ack, drops them without one, and logs once per socket", async () => {
    const s = await user({ sub: "curious" });
    const answer = await request(s, "subscribe", "lobby");
    expect(answer).toMatchObject({ ok: false, error: { code: "unknown_event" } });
    expect(answer.error.message).toMatch(/subscribe/);
    s.emit("no-ack-event", { a: 1 });
    s.emit("another", 1, 2, 3);
    expect(await request(s, "join", "after-unknown")).toEqual({ ok: true, room: "after-unknown" });
    const lines = cluster.output().match(/ignored an unknown event.*"sid":"[^"]+"/g) ?? [];
    expect(lines.filter((l) => l.includes(s.id!))).toHaveLength(1);
  });

  it("answers bad payloads of every event with an error ack", async () => {
    const s = await user({ sub: "sloppy" });
    const cases: Array<[string, unknown[], string]> = [
      ["presence", [{}], "invalid_room"],
      ["presence", [null], "invalid_room"],
      ["kick", [null], "invalid_request"],
      ["kick", [{ room: "r", sub: 7 }], "invalid_request"],
      ["publish", [{ room: "r", type: "t".repeat(65) }], "invalid_message"],
      ["publish", [{ room: "r", type: "t", id: "" }], "invalid_message"],
      ["publish", [[1, 2, 3]], "invalid_message"],
      ["join", [{ room: 5, presence: true }], "invalid_room"],
    ];
    for (const [event, args, code] of cases) {
      const response = await request(s, event, ...args);
      expect(response.ok, `${event} ${JSON.stringify(args)}`).toBe(false);
      expect(response.error.code).toBe(code);
    }
    expect(s.connected).toBe(true);
  });
});

describe("compression off", () => {
  it("does not negotiate permessage-deflate on websocket", async () => {
    const s = await user({ sub: "plain" });
    const ws = (s.io.engine.transport as unknown as { ws: { extensions: string } }).ws;
    expect(ws.extensions).not.toMatch(/permessage-deflate/);
  });
});
