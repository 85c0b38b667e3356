// The cluster as a client sees it: two uWS workers behind one port, rooms spanning them,
// the Hono API with its auth and CORS, and the first protocol events.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Socket } from "socket.io-client";
import { startCluster, type RunningCluster } from "./helpers/cluster.js";
import { api, closeAll, connect, connectMany, request } from "./helpers/clients.js";
import { nextEvent, waitFor } from "./helpers/wait.js";

const ALLOWED_ORIGIN = "https://app.example.com";

let cluster: RunningCluster;
const sockets: Socket[] = [];

beforeAll(async () => {
  cluster = await startCluster({ env: { CORS_ORIGINS: `${ALLOWED_ORIGIN},http://localhost:5173` } });
});

afterAll(async () => {
  closeAll(sockets);
  await cluster?.stop();
});

describe("anonymous mode", () => {
  it("warns once at start that there is no token key", () => {
    const warnings = cluster.output().match(/anonymous mode: no JWT_SECRET or JWT_PUBLIC_KEY/g) ?? [];
    expect(warnings).toHaveLength(1);
  });

  it("makes every socket its own user", async () => {
    const s = await connect(cluster.url, { transports: ["websocket"] });
    sockets.push(s);
    expect(await request(s, "whoami")).toMatchObject({ ok: true, sub: s.id, anonymous: true, name: null });
  });
});

describe("HTTP API", () => {
  it("answers /healthz while the process lives", async () => {
    const { status, body } = await api(cluster.url, "/healthz", { key: null });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, status: "alive" });
    expect(typeof body.pid).toBe("number");
  });

  it("answers /readyz with 200 once workers listen with their adapter connected", async () => {
    const { status, body } = await api(cluster.url, "/readyz", { key: null });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, ready: true });
  });

  it("refuses /api/stats without the key or with a wrong one", async () => {
    const missing = await api(cluster.url, "/api/stats", { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe("unauthorized");
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await api(cluster.url, "/api/stats", { key: "not-the-key-at-all-000" });
    expect(wrong.status).toBe(401);
  });

  it("returns every worker in /api/stats", async () => {
    const { status, body } = await api(cluster.url, "/api/stats");
    expect(status).toBe(200);
    expect(body.workers.map((w: { slot: number }) => w.slot)).toEqual([0, 1]);
    for (const w of body.workers) expect(w.pid).toBeGreaterThan(0);
    expect(body.connections).toBe(body.workers.reduce((s: number, w: { connections: number }) => s + w.connections, 0));
  });

  it("answers unknown routes with a JSON 404", async () => {
    const { status, body } = await api(cluster.url, "/nope", { key: null });
    expect(status).toBe(404);
    expect(body.error.code).toBe("not_found");
  });
});

describe("CORS", () => {
  const preflight = (path: string, origin: string) =>
    fetch(`${cluster.url}${path}`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
      signal: AbortSignal.timeout(15_000),
    });

  for (const path of ["/socket.io/?EIO=4&transport=polling", "/api/stats"]) {
    it(`allows a listed origin's preflight on ${path.split("?")[0]}`, async () => {
      const response = await preflight(path, ALLOWED_ORIGIN);
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
      expect(response.headers.get("access-control-allow-methods")).toContain("GET");
    });

    it(`gives no allow-origin to an unlisted origin on ${path.split("?")[0]}`, async () => {
      const response = await preflight(path, "https://evil.example.net");
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    });
  }

  it("applies the same allowlist to Socket.IO's own responses", async () => {
    const allowed = await fetch(`${cluster.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: ALLOWED_ORIGIN } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
    await allowed.text();
    const refused = await fetch(`${cluster.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: "https://evil.example.net" } });
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    await refused.text();
  });
});

describe("rooms across workers", () => {
  it("spreads websocket clients over both workers and delivers a publish to members on each", async () => {
    const members = await connectMany(cluster.url, 24, { transports: ["websocket"] });
    sockets.push(...members);

    const stats = await waitFor(async () => {
      const { body } = await api(cluster.url, "/api/stats");
      return body.connections >= 24 ? body : undefined;
    }, "24 connections in /api/stats");
    // The kernel spreads connections with SO_REUSEPORT: both workers hold members.
    for (const w of stats.workers) expect(w.connections).toBeGreaterThan(0);

    for (const m of members) expect(await request(m, "join", "lobby")).toEqual({ ok: true, room: "lobby" });

    const received = members.map((m) => nextEvent<any>(m, "message"));
    const publisher = members[0]!;
    const ack = await request(publisher, "publish", { room: "lobby", type: "chat", data: { text: "hello" } });
    expect(ack.ok).toBe(true);
    expect(typeof ack.id).toBe("string");

    const envelopes = await Promise.all(received);
    for (const envelope of envelopes) {
      expect(envelope).toMatchObject({ id: ack.id, room: "lobby", type: "chat", data: { text: "hello" }, from: publisher.id });
      expect(Math.abs(envelope.timestamp - Date.now())).toBeLessThan(60_000);
    }
    closeAll(members);
  });

  it("stops delivering to a socket that left the room", async () => {
    const [a, b] = await connectMany(cluster.url, 2, { transports: ["websocket"] });
    sockets.push(a!, b!);
    await request(a!, "join", "quiet");
    await request(b!, "join", "quiet");
    expect(await request(b!, "leave", "quiet")).toEqual({ ok: true, room: "quiet" });
    let leftGotOne = false;
    b!.on("message", () => (leftGotOne = true));
    const stillIn = nextEvent<any>(a!, "message");
    const ack = await request(a!, "publish", { room: "quiet", type: "t", data: 1 });
    expect((await stillIn).id).toBe(ack.id);
    // A second publish is delivered to `a` after the first: if `b` got neither, it is out.
    const second = nextEvent<any>(a!, "message");
    await request(a!, "publish", { room: "quiet", type: "t", data: 2 });
    await second;
    expect(leftGotOne).toBe(false);
  });

  it("gives time-ordered unique ids", async () => {
    const s = await connect(cluster.url, { transports: ["websocket"] });
    sockets.push(s);
    await request(s, "join", "ids");
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await request(s, "publish", { room: "ids", type: "n", data: i })).id);
    expect(new Set(ids).size).toBe(20);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe("bad input", () => {
  const cases: Array<[string, unknown[], string]> = [
    ["join", [42], "invalid_room"],
    ["join", [""], "invalid_room"],
    ["join", ["x".repeat(129)], "invalid_room"],
    ["leave", [null], "invalid_room"],
    ["publish", [{ room: "r", data: 1 }], "invalid_message"],
    ["publish", [{ room: 5, type: "t" }], "invalid_message"],
    ["publish", ["not an object"], "invalid_message"],
  ];

  it("answers each bad payload with an error ack and keeps the socket usable", async () => {
    const s = await connect(cluster.url, { transports: ["websocket"] });
    sockets.push(s);
    for (const [event, args, code] of cases) {
      const response = await request(s, event, ...args);
      expect(response.ok, `${event} ${JSON.stringify(args)}`).toBe(false);
      expect(response.error.code).toBe(code);
      expect(typeof response.error.message).toBe("string");
    }
    expect(s.connected).toBe(true);
    expect(await request(s, "join", "x".repeat(128))).toEqual({ ok: true, room: "x".repeat(128) });
  });

  it("survives events sent without an ack callback", async () => {
    const s = await connect(cluster.url, { transports: ["websocket"] });
    sockets.push(s);
    s.emit("join", 42);
    s.emit("publish", { room: "r" });
    expect(await request(s, "join", "after-no-ack")).toEqual({ ok: true, room: "after-no-ack" });
  });
});

describe("without API_KEY", () => {
  let bare: RunningCluster;
  beforeAll(async () => {
    bare = await startCluster({ env: { API_KEY: undefined, WORKERS: "1" } });
  });
  afterAll(async () => {
    await bare?.stop();
  });

  it("answers every /api route with 403 and says why", async () => {
    const { status, body } = await api(bare.url, "/api/stats", { key: "whatever-key-0123456789" });
    expect(status).toBe(403);
    expect(body.error.code).toBe("api_disabled");
    expect(body.error.message).toMatch(/API_KEY/);
  });
});
