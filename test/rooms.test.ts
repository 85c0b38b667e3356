// Rooms with roles from the token, user rooms, presence and kick, with users whose sockets
// sit on both workers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Socket } from "socket.io-client";
import { startCluster, type RunningCluster } from "./helpers/cluster.js";
import { closeAll, connect, request, record } from "./helpers/clients.js";
import { nextEvent, waitFor } from "./helpers/wait.js";
import { signToken, type Claims } from "./helpers/tokens.js";
import { JWT_SECRET } from "./helpers/tokens.js";
import { connectSpread, WS } from "./helpers/realtime.js";

let cluster: RunningCluster;
const sockets: Socket[] = [];

beforeAll(async () => {
  cluster = await startCluster({ env: { JWT_SECRET, MAX_ROOMS_PER_SOCKET: "3" } });
});

afterAll(async () => {
  closeAll(sockets);
  await cluster?.stop();
});

async function user(claims: Claims): Promise<Socket> {
  const socket = await connect(cluster.url, { ...WS, auth: { token: await signToken(claims) } });
  sockets.push(socket);
  return socket;
}

async function spreadUser(claims: Claims, min = 2): Promise<Socket[]> {
  const placed = await connectSpread(cluster.url, { auth: { token: await signToken(claims) } }, min);
  sockets.push(...placed.map((p) => p.socket));
  expect(new Set(placed.map((p) => p.worker))).toEqual(new Set([0, 1]));
  return placed.map((p) => p.socket);
}

/** Collects every event of a kind a socket receives, to assert on absence later. */
describe("rooms with roles", () => {
  it("lets a token without a rooms claim join any room as member", async () => {
    const s = await user({ sub: "free" });
    expect(await request(s, "join", "anything")).toEqual({ ok: true, room: "anything" });
    expect((await request(s, "publish", { room: "anything", type: "t" })).ok).toBe(true);
  });

  it("refuses rooms the rooms claim does not match, and matches globs", async () => {
    const s = await user({ sub: "teamer", rooms: { "team-*": "member", lobby: "viewer" } });
    expect(await request(s, "join", "team-red")).toEqual({ ok: true, room: "team-red" });
    expect(await request(s, "join", "lobby")).toEqual({ ok: true, room: "lobby" });
    const refused = await request(s, "join", "secret");
    expect(refused).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(refused.error.message).toMatch(/secret/);
    // `team-*` must not match a room that merely contains it.
    expect((await request(s, "join", "x-team-red")).error.code).toBe("forbidden");
  });

  it("lets a viewer receive but not publish, and a member publish", async () => {
    const viewer = await user({ sub: "vera", rooms: { news: "viewer" } });
    const member = await user({ sub: "mo", rooms: { news: "member" } });
    await request(viewer, "join", "news");
    await request(member, "join", "news");
    const refused = await request(viewer, "publish", { room: "news", type: "t", data: 1 });
    expect(refused).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(refused.error.message).toMatch(/viewer/);
    const got = nextEvent<any>(viewer, "message");
    const ack = await request(member, "publish", { room: "news", type: "t", data: 2 });
    expect(ack.ok).toBe(true);
    expect(await got).toMatchObject({ id: ack.id, room: "news", data: 2, from: "mo" });
  });

  it("refuses a publish to a room the token grants nothing in", async () => {
    const s = await user({ sub: "limited", rooms: { a: "member" } });
    expect((await request(s, "publish", { room: "b", type: "t" })).error.code).toBe("forbidden");
  });

  it("caps the rooms per socket and lets it join again after leaving one", async () => {
    const s = await user({ sub: "collector" });
    for (const room of ["r1", "r2", "r3"]) expect((await request(s, "join", room)).ok).toBe(true);
    expect(await request(s, "join", "r1")).toEqual({ ok: true, room: "r1" }); // already in: not a new room
    const refused = await request(s, "join", "r4");
    expect(refused).toMatchObject({ ok: false, error: { code: "too_many_rooms" } });
    expect(s.connected).toBe(true);
    await request(s, "leave", "r2");
    expect(await request(s, "join", "r4")).toEqual({ ok: true, room: "r4" });
  });

  it("refuses room names with control characters", async () => {
    const s = await user({ sub: "ctl" });
    expect((await request(s, "join", "a\u0000b")).error.code).toBe("invalid_room");
  });
});

describe("user rooms", () => {
  it("puts every socket of a user in user:<sub>, on both workers, and refuses joining user:* rooms", async () => {
    const devices = await spreadUser({ sub: "dana" });
    const other = await user({ sub: "eve" });
    expect(await request(other, "join", "user:dana")).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect((await request(devices[0]!, "join", "user:dana")).error.code).toBe("forbidden");
    expect((await request(other, "publish", { room: "user:dana", type: "t" })).error.code).toBe("forbidden");

    const arrivals = devices.map((d) => nextEvent<any>(d, "message"));
    const { status, body } = await fetch(`${cluster.url}/api/publish`, {
      method: "POST",
      headers: { authorization: "Bearer test-api-key-0123456789", "content-type": "application/json" },
      body: JSON.stringify({ user: "dana", type: "note", data: { n: 1 } }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } }));
    expect(status).toBe(202);
    for (const envelope of await Promise.all(arrivals)) {
      expect(envelope).toMatchObject({ id: body.id, room: "user:dana", type: "note", data: { n: 1 }, from: "server" });
    }
  });
});

describe("presence", () => {
  it("lists one entry per user across workers, with its connection count", async () => {
    const frank = await spreadUser({ sub: "frank", name: "Frank" }, 3);
    const grace = await user({ sub: "grace", name: "Grace" });
    for (const s of [...frank, grace]) await request(s, "join", "standup");
    const answer = await request(grace, "presence", "standup");
    expect(answer).toEqual({
      ok: true,
      room: "standup",
      members: [
        { sub: "frank", name: "Frank", connections: frank.length },
        { sub: "grace", name: "Grace", connections: 1 },
      ],
    });
  });

  it("is for members who joined and for admins; viewers and outsiders are refused", async () => {
    const viewer = await user({ sub: "vic", rooms: { board: "viewer" } });
    await request(viewer, "join", "board");
    expect((await request(viewer, "presence", "board")).error.code).toBe("forbidden");
    const outsider = await user({ sub: "olga" });
    expect((await request(outsider, "presence", "board")).error.code).toBe("forbidden");
    const admin = await user({ sub: "ada", rooms: { "board*": "admin" } });
    const answer = await request(admin, "presence", "board");
    expect(answer).toMatchObject({ ok: true, members: [{ sub: "vic", connections: 1 }] });
    expect((await request(admin, "presence", 5)).error.code).toBe("invalid_room");
  });

  it("announces a user's first socket coming and last socket going to members who asked for it", async () => {
    const watcher = await user({ sub: "wendy" });
    expect(await request(watcher, "join", { room: "hall", presence: true })).toEqual({ ok: true, room: "hall" });
    const changes = record<any>(watcher, "presence");
    // A member who joined without { presence: true } hears no presence events.
    const quiet = await user({ sub: "quentin" });
    await request(quiet, "join", "hall");
    await waitFor(() => changes.find((c) => c.member.sub === "quentin"), "quentin's arrival announced to the watcher");
    const quietChanges = record<any>(quiet, "presence");

    const [first, second] = await spreadUser({ sub: "hank", name: "Hank" });
    await request(first!, "join", "hall");
    await waitFor(() => changes.find((c) => c.action === "join"), "a presence join");
    await request(second!, "join", "hall"); // same user again: no second announcement
    await request(second!, "leave", "hall"); // one socket still there: no leave yet
    first!.close(); // the last socket goes: leave
    await waitFor(() => changes.find((c) => c.action === "leave"), "a presence leave");
    expect(changes).toEqual([
      { room: "hall", action: "join", member: { sub: "quentin", name: null } },
      { room: "hall", action: "join", member: { sub: "hank", name: "Hank" } },
      { room: "hall", action: "leave", member: { sub: "hank", name: "Hank" } },
    ]);
    // Both announcements reached the watcher; the quiet member, in the same room, got neither.
    expect(quietChanges).toEqual([]);
    expect((await request(quiet, "join", { room: "hall", presence: "yes" })).error.code).toBe("invalid_room");
  });
});

describe("kick", () => {
  it("removes every socket of the user from the room on both workers and tells each", async () => {
    const admin = await user({ sub: "root", rooms: { "ops-*": "admin" } });
    const victims = await spreadUser({ sub: "ivan", rooms: { "ops-*": "member" } });
    const bystander = await user({ sub: "judy" });
    for (const s of [admin, ...victims, bystander]) expect((await request(s, "join", "ops-1")).ok).toBe(true);

    const kicked = victims.map((v) => nextEvent<any>(v, "kicked"));
    const bystanderKicked = record(bystander, "kicked");
    const answer = await request(admin, "kick", { room: "ops-1", sub: "ivan" });
    expect(answer).toEqual({ ok: true, room: "ops-1", sub: "ivan", sockets: victims.length });
    for (const notice of await Promise.all(kicked)) expect(notice).toEqual({ room: "ops-1", by: "root" });

    const members = await waitFor(async () => {
      const p = await request(admin, "presence", "ops-1");
      return p.members.some((m: { sub: string }) => m.sub === "ivan") ? undefined : p.members;
    }, "ivan gone from presence");
    expect(members.map((m: { sub: string }) => m.sub)).toEqual(["judy", "root"]);

    // No longer delivered to the kicked user; still to the others.
    const victimMessages = victims.map((v) => record(v, "message"));
    const got = nextEvent<any>(bystander, "message");
    const ack = await request(admin, "publish", { room: "ops-1", type: "after" });
    expect((await got).id).toBe(ack.id);
    const second = nextEvent<any>(bystander, "message");
    await request(admin, "publish", { room: "ops-1", type: "after-2" });
    await second;
    for (const seen of victimMessages) expect(seen).toEqual([]);
    expect(bystanderKicked).toEqual([]);
  });

  it("is for admins of the room only, and validates its input", async () => {
    const member = await user({ sub: "kim", rooms: { "ops-*": "member" } });
    expect((await request(member, "kick", { room: "ops-1", sub: "judy" })).error.code).toBe("forbidden");
    const anyRoomUser = await user({ sub: "liam" });
    expect((await request(anyRoomUser, "kick", { room: "ops-1", sub: "judy" })).error.code).toBe("forbidden");
    const admin = await user({ sub: "root2", rooms: { "ops-*": "admin" } });
    expect((await request(admin, "kick", { room: "ops-1" })).error.code).toBe("invalid_request");
    expect((await request(admin, "kick", "ops-1")).error.code).toBe("invalid_request");
    expect(await request(admin, "kick", { room: "ops-1", sub: "nobody" })).toEqual({ ok: true, room: "ops-1", sub: "nobody", sockets: 0 });
  });
});

describe("compression (on by default)", () => {
  it("negotiates permessage-deflate on websocket", async () => {
    const s = await user({ sub: "zipper" });
    const ws = (s.io.engine.transport as unknown as { ws: { extensions: string } }).ws;
    expect(ws.extensions).toMatch(/permessage-deflate/);
  });

  it("carries large messages both ways over compressed websockets", async () => {
    const sender = await user({ sub: "big-sender" });
    const receiver = await user({ sub: "big-receiver" });
    await request(receiver, "join", "big-room");
    const text = "compressible ".repeat(2_000); // 26 KB: well over the 1 KB threshold
    const arrival = nextEvent<any>(receiver, "message");
    const ack = await request(sender, "publish", { room: "big-room", type: "blob", data: { text } });
    expect(ack.ok).toBe(true);
    expect((await arrival).data.text).toBe(text);
  });
});
