// The push API for backends (publish to a room, a user or everyone; acknowledged publish;
// batches; presence; kick) and namespaces, end to end with clients on both workers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Socket } from "socket.io-client";
import { startCluster, type RunningCluster } from "./helpers/cluster.js";
import { api, closeAll, connect, request, record } from "./helpers/clients.js";
import { nextEvent, waitFor } from "./helpers/wait.js";
import { JWT_SECRET, signToken, type Claims } from "./helpers/tokens.js";
import { connectSpread, WS } from "./helpers/realtime.js";

let cluster: RunningCluster;
const sockets: Socket[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    env: { JWT_SECRET, NAMESPACES: "/chat,/tenant-*", MAX_BODY_BYTES: "65536", COMPRESSION_THRESHOLD: "0" },
  });
});

afterAll(async () => {
  closeAll(sockets);
  await cluster?.stop();
});

async function user(claims: Claims, namespace = "/"): Promise<Socket> {
  const url = namespace === "/" ? cluster.url : `${cluster.url}${namespace}`;
  const socket = await connect(url, { ...WS, auth: { token: await signToken(claims) } });
  sockets.push(socket);
  return socket;
}

async function spreadUser(claims: Claims, min = 2): Promise<Socket[]> {
  const placed = await connectSpread(cluster.url, { auth: { token: await signToken(claims) } }, min);
  sockets.push(...placed.map((p) => p.socket));
  return placed.map((p) => p.socket);
}

const post = (path: string, body: unknown, init: RequestInit & { key?: string | null } = {}) =>
  api(cluster.url, path, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body), ...init });

describe("POST /api/publish", () => {
  it("delivers to a room on both workers as a message from the server", async () => {
    const members = await spreadUser({ sub: "m" }, 4);
    for (const m of members) await request(m, "join", "alerts");
    const arrivals = members.map((m) => nextEvent<any>(m, "message"));
    const { status, body } = await post("/api/publish", { room: "alerts", type: "alert", data: { level: 2 } });
    expect(status).toBe(202);
    expect(body).toEqual({ ok: true, id: expect.any(String), timestamp: expect.any(Number) });
    for (const envelope of await Promise.all(arrivals)) {
      expect(envelope).toEqual({ id: body.id, room: "alerts", type: "alert", data: { level: 2 }, from: "server", timestamp: body.timestamp });
    }
  });

  it("broadcasts to every socket of the namespace", async () => {
    const [a, b] = await spreadUser({ sub: "everyone" });
    const arrivals = [nextEvent<any>(a!, "message"), nextEvent<any>(b!, "message")];
    const { status, body } = await post("/api/publish", { broadcast: true, type: "maintenance", data: "soon" });
    expect(status).toBe(202);
    for (const envelope of await Promise.all(arrivals)) expect(envelope).toMatchObject({ id: body.id, room: null, type: "maintenance", from: "server" });
  });

  it("is idempotent with an id, across workers", async () => {
    const [listener] = await spreadUser({ sub: "idem" });
    await request(listener!, "join", "idem-room");
    const seen = record<any>(listener!, "message");
    const first = await post("/api/publish", { room: "idem-room", type: "t", id: "api-msg-1" });
    expect(first.body).toEqual({ ok: true, id: "api-msg-1", timestamp: expect.any(Number) });
    // Several tries: the kernel spreads them over the workers.
    for (let i = 0; i < 4; i++) {
      const again = await post("/api/publish", { room: "idem-room", type: "t", id: "api-msg-1" });
      expect(again.status).toBe(202);
      expect(again.body).toEqual({ ok: true, id: "api-msg-1", timestamp: first.body.timestamp, duplicate: true });
    }
    const marker = await post("/api/publish", { room: "idem-room", type: "marker" });
    await waitFor(() => seen.find((m) => m.id === marker.body.id), "the marker");
    expect(seen.filter((m) => m.id === "api-msg-1")).toHaveLength(1);
  });

  it("waits for the acknowledgements of a user's sockets with ack: true", async () => {
    const devices = await spreadUser({ sub: "acker" }, 3);
    const silent = await user({ sub: "acker" }); // listens without acknowledging
    silent.on("message", () => {});
    for (const d of devices) d.on("message", (_m: unknown, ack?: (v: unknown) => void) => ack?.("got it"));
    const { status, body } = await post("/api/publish", { user: "acker", type: "ping", ack: true, timeoutMs: 5_000 });
    expect(status).toBe(200);
    expect(body).toEqual({ ok: true, id: expect.any(String), timestamp: expect.any(Number), sockets: devices.length + 1, acked: devices.length });
  });

  it("answers ack for a user without sockets with zero", async () => {
    const { status, body } = await post("/api/publish", { user: "nobody-home", type: "ping", ack: true, timeoutMs: 1000 });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, sockets: 0, acked: 0 });
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ["no target", { type: "t" }, /room: give exactly one target/],
    ["two targets", { room: "r", user: "u", type: "t" }, /exactly one target/],
    ["broadcast: false", { broadcast: false, type: "t" }, /broadcast/],
    ["no type", { room: "r" }, /type/],
    ["a room that is not a string", { room: 3, type: "t" }, /room/],
    ["an oversized room", { room: "r".repeat(200), type: "t" }, /room/],
    ["ack for a room", { room: "r", type: "t", ack: true }, /ack: acknowledgements are available for a user target only/],
    ["a bad timeoutMs", { user: "u", type: "t", ack: true, timeoutMs: -5 }, /timeoutMs/],
    ["a bad id", { room: "r", type: "t", id: "no spaces please" }, /id/],
    ["an unknown namespace", { room: "r", type: "t", namespace: "/nope" }, /namespace: \/nope is not served/],
    ["a bad namespace", { room: "r", type: "t", namespace: "chat" }, /namespace/],
    ["an array body", [1, 2], /expected object|object/i],
  ];
  for (const [what, body, message] of invalid) {
    it(`answers 400 invalid_request naming the field for ${what}`, async () => {
      const response = await post("/api/publish", body);
      expect(response.status).toBe(400);
      expect(response.body.ok).toBe(false);
      expect(response.body.error.code).toBe("invalid_request");
      expect(response.body.error.message).toMatch(message);
    });
  }

  it("answers 400 for malformed JSON and for an empty body", async () => {
    const malformed = await post("/api/publish", "{ not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: "invalid_request", message: expect.stringMatching(/not valid JSON/) });
    const empty = await post("/api/publish", "");
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe("invalid_request");
  });

  it("answers 401 for a wrong key and 413 over the body limit", async () => {
    const wrong = await post("/api/publish", { room: "r", type: "t" }, { key: "wrong-key-wrong-key-0000" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("unauthorized");
    const missing = await post("/api/publish", { room: "r", type: "t" }, { key: null });
    expect(missing.status).toBe(401);
    const tooLarge = await post("/api/publish", { room: "r", type: "t", data: "x".repeat(70_000) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe("payload_too_large");
  });
});

describe("POST /api/publish/batch", () => {
  it("publishes every message in order and answers each", async () => {
    const s = await user({ sub: "batch-reader" });
    await request(s, "join", "b1");
    const seen = record<any>(s, "message");
    const { status, body } = await post("/api/publish/batch", {
      messages: [
        { room: "b1", type: "one" },
        { room: "b1", type: "two", id: "batch-2" },
        { user: "batch-reader", type: "three" },
        { room: "b1", type: "two-again", id: "batch-2" },
      ],
    });
    expect(status).toBe(202);
    expect(body.results).toHaveLength(4);
    expect(body.results[1]).toEqual({ ok: true, id: "batch-2", timestamp: expect.any(Number) });
    expect(body.results[3]).toMatchObject({ ok: true, id: "batch-2", duplicate: true });
    await waitFor(() => seen.length >= 3, "three messages");
    expect(seen.map((m) => m.type)).toEqual(["one", "two", "three"]);
  });

  it("refuses an empty batch, one over the bound, and names a bad message's field", async () => {
    expect((await post("/api/publish/batch", { messages: [] })).status).toBe(400);
    const over = await post("/api/publish/batch", { messages: Array.from({ length: 101 }, () => ({ room: "r", type: "t" })) });
    expect(over.status).toBe(400);
    expect(over.body.error.message).toMatch(/at most 100/);
    const bad = await post("/api/publish/batch", { messages: [{ room: "r", type: "t" }, { room: "r" }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/messages\.1\.type/);
    const ack = await post("/api/publish/batch", { messages: [{ user: "u", type: "t", ack: true }] });
    expect(ack.status).toBe(400);
    expect(ack.body.error.message).toMatch(/messages\.0/);
  });
});

describe("GET /api/rooms/:room/presence and POST /api/rooms/:room/kick", () => {
  it("lists presence across workers and kicks a user from every worker", async () => {
    const victims = await spreadUser({ sub: "noisy", name: "Noisy" });
    const stayer = await user({ sub: "quiet" });
    for (const s of [...victims, stayer]) await request(s, "join", "town hall");

    const presence = await api(cluster.url, `/api/rooms/${encodeURIComponent("town hall")}/presence`);
    expect(presence.status).toBe(200);
    expect(presence.body).toEqual({
      ok: true,
      room: "town hall",
      namespace: "/",
      members: [
        { sub: "noisy", name: "Noisy", connections: victims.length },
        { sub: "quiet", name: null, connections: 1 },
      ],
    });

    const notices = victims.map((v) => nextEvent<any>(v, "kicked"));
    const kick = await post(`/api/rooms/${encodeURIComponent("town hall")}/kick`, { sub: "noisy" });
    expect(kick.status).toBe(200);
    expect(kick.body).toEqual({ ok: true, room: "town hall", sub: "noisy", sockets: victims.length });
    for (const n of await Promise.all(notices)) expect(n).toEqual({ room: "town hall", by: "server" });
    const after = await waitFor(async () => {
      const { body } = await api(cluster.url, `/api/rooms/${encodeURIComponent("town hall")}/presence`);
      return body.members.length === 1 ? body : undefined;
    }, "only quiet left");
    expect(after.members).toEqual([{ sub: "quiet", name: null, connections: 1 }]);
  });

  it("validates the room, the body and the namespace", async () => {
    const longRoom = await api(cluster.url, `/api/rooms/${"r".repeat(200)}/presence`);
    expect(longRoom.status).toBe(400);
    expect(longRoom.body.error).toMatchObject({ code: "invalid_request", message: expect.stringMatching(/^room/) });
    const ns = await api(cluster.url, "/api/rooms/r/presence?namespace=/elsewhere");
    expect(ns.status).toBe(400);
    expect(ns.body.error.message).toMatch(/namespace/);
    const noSub = await post("/api/rooms/r/kick", {});
    expect(noSub.status).toBe(400);
    expect(noSub.body.error.message).toMatch(/sub/);
    const badJson = await post("/api/rooms/r/kick", "{");
    expect(badJson.status).toBe(400);
    expect((await api(cluster.url, "/api/rooms/r/presence", { key: "nope-nope-nope-nope-00" })).status).toBe(401);
  });
});

describe("namespaces", () => {
  it("keeps rooms, user rooms and presence apart between namespaces", async () => {
    const inRoot = await user({ sub: "nina" });
    const inChat = await user({ sub: "nina" }, "/chat");
    expect(await request(inChat, "whoami")).toMatchObject({ ok: true, sub: "nina", namespace: "/chat" });
    await request(inRoot, "join", "general");
    await request(inChat, "join", "general");
    const rootSeen = record<any>(inRoot, "message");

    const chatArrival = nextEvent<any>(inChat, "message");
    const ack = await request(inChat, "publish", { room: "general", type: "chat" });
    expect((await chatArrival).id).toBe(ack.id);

    const viaApi = nextEvent<any>(inChat, "message");
    const pushed = await post("/api/publish", { user: "nina", type: "dm", namespace: "/chat" });
    expect((await viaApi).id).toBe(pushed.body.id);

    const rootPresence = await api(cluster.url, "/api/rooms/general/presence");
    const chatPresence = await api(cluster.url, "/api/rooms/general/presence?namespace=/chat");
    expect(rootPresence.body.members).toEqual([{ sub: "nina", name: null, connections: 1 }]);
    expect(chatPresence.body).toMatchObject({ namespace: "/chat", members: [{ sub: "nina", connections: 1 }] });

    // Nothing from /chat reached the root namespace socket.
    const marker = await post("/api/publish", { room: "general", type: "marker" });
    await waitFor(() => rootSeen.find((m) => m.id === marker.body.id), "the root marker");
    expect(rootSeen.map((m) => m.type)).toEqual(["marker"]);
  });

  it("serves namespaces matching a glob, with auth, and refuses others", async () => {
    const tenant = await user({ sub: "t1" }, "/tenant-acme");
    expect(await request(tenant, "whoami")).toMatchObject({ ok: true, namespace: "/tenant-acme" });
    await request(tenant, "join", "ops");
    const arrival = nextEvent<any>(tenant, "message");
    const pushed = await post("/api/publish", { room: "ops", type: "t", namespace: "/tenant-acme" });
    expect(pushed.status).toBe(202);
    expect((await arrival).id).toBe(pushed.body.id);

    await expect(connect(`${cluster.url}/tenant-acme`, { ...WS })).rejects.toMatchObject({ data: { code: "unauthorized" } });
    await expect(connect(`${cluster.url}/other`, { ...WS, auth: { token: await signToken({ sub: "x" }) } })).rejects.toThrow(/Invalid namespace/);
  });
});

describe("HTTP compression on polling", () => {
  it("compresses polling responses above COMPRESSION_THRESHOLD when the client accepts it", async () => {
    const response = await fetch(`${cluster.url}/socket.io/?EIO=4&transport=polling`, { headers: { "accept-encoding": "gzip" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(await response.text()).toMatch(/"sid"/);
  });
});
