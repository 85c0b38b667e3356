// Sticky load balancing: stock clients work whatever worker each request lands on, on both
// engines, with 2 and 4 workers; and the uws mesh's forwarding and relaying in detail.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as ioClient, type Socket } from "socket.io-client";
import { startCluster, type RunningCluster } from "./helpers/cluster.js";
import { api, closeAll, connectMany, request, type ClientOptions } from "./helpers/clients.js";
import { nextEvent, waitFor } from "./helpers/wait.js";
import { openPollingSession, rawHttp, upgradeSession, waitForClose } from "./helpers/engine-io.js";

interface WorkerStats {
  slot: number;
  pid: number;
  connections: number;
  forwarding: number;
  forwardedTotal: number;
  relays: number;
  relayedTotal: number;
}

async function stats(cluster: RunningCluster): Promise<{ workers: WorkerStats[]; connections: number }> {
  const { status, body } = await api(cluster.url, "/api/stats");
  if (status !== 200) throw new Error(`/api/stats answered ${status}`);
  return body;
}

const sum = (workers: WorkerStats[], key: keyof WorkerStats) => workers.reduce((s, w) => s + w[key], 0);

/** Connects, joins `room`, and checks that one publish reaches every client. */
async function roundTrip(cluster: RunningCluster, clients: Socket[], room: string): Promise<void> {
  for (const c of clients) expect(await request(c, "join", room)).toEqual({ ok: true, room });
  const received = clients.map((c) => nextEvent<{ id: string }>(c, "message", 30_000));
  const ack = await request(clients[0]!, "publish", { room, type: "ping", data: { n: clients.length } });
  expect(ack.ok).toBe(true);
  for (const envelope of await Promise.all(received)) expect(envelope.id).toBe(ack.id);
}

async function expectIdle(cluster: RunningCluster): Promise<void> {
  // Sessions, forwarded requests and relays all return to zero once clients have left.
  await waitFor(async () => {
    const s = await stats(cluster);
    return s.connections === 0 && sum(s.workers, "forwarding") === 0 && sum(s.workers, "relays") === 0;
  }, "sessions, forwards and relays to return to zero", 20_000);
}

const matrix = [
  { engine: "uws", workers: 2 },
  { engine: "uws", workers: 4 },
  { engine: "node", workers: 2 },
  { engine: "node", workers: 4 },
] as const;

describe.each(matrix)("$engine engine, $workers workers", ({ engine, workers }) => {
  let cluster: RunningCluster;
  beforeAll(async () => {
    cluster = await startCluster({ env: { ENGINE: engine, WORKERS: String(workers) } });
    expect(cluster.engine).toBe(engine);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("100 default clients (polling, then upgrade) connect, all upgrade to websocket, join a room and all receive a publish", async () => {
    const clients = await connectMany(cluster.url, 100);
    try {
      await waitFor(() => clients.every((c) => c.io.engine.transport.name === "websocket"), "every client to upgrade to websocket", 30_000);
      await roundTrip(cluster, clients, "default-room");
      expect((await stats(cluster)).connections).toBe(100);
    } finally {
      closeAll(clients);
    }
    await expectIdle(cluster);
  });

  it("50 polling-only clients connect, emit with acks and receive", async () => {
    const clients = await connectMany(cluster.url, 50, { transports: ["polling"] });
    try {
      await roundTrip(cluster, clients, "polling-room");
      // A second publish from another client: every long-poll keeps working after the first.
      const again = clients.map((c) => nextEvent<{ id: string }>(c, "message", 30_000));
      const ack = await request(clients[49]!, "publish", { room: "polling-room", type: "again" });
      for (const envelope of await Promise.all(again)) expect(envelope.id).toBe(ack.id);
      for (const c of clients) expect(c.io.engine.transport.name).toBe("polling");
    } finally {
      closeAll(clients);
    }
    await expectIdle(cluster);
  });

  it("websocket-only clients connect, emit with acks and receive", async () => {
    const clients = await connectMany(cluster.url, 50, { transports: ["websocket"] });
    try {
      await roundTrip(cluster, clients, "ws-room");
    } finally {
      closeAll(clients);
    }
    await expectIdle(cluster);
  });
});

describe("the uws mesh in detail (2 workers)", () => {
  let cluster: RunningCluster;
  beforeAll(async () => {
    cluster = await startCluster({ env: { ENGINE: "uws", WORKERS: "2" } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("forwards polling requests and relays upgrades that land on a non-owner, and counts them", async () => {
    const clients = await connectMany(cluster.url, 30);
    try {
      await waitFor(() => clients.every((c) => c.io.engine.transport.name === "websocket"), "every client to upgrade", 30_000);
      const s = await stats(cluster);
      // With SO_REUSEPORT, each new connection picks a worker by hash: among 30 sessions, some
      // requests land on the worker that does not own them (the chance that none does is 2^-30).
      expect(sum(s.workers, "forwardedTotal")).toBeGreaterThan(0);
      expect(sum(s.workers, "relays")).toBeGreaterThan(0);
      // A fresh cluster: every relay made so far is still open.
      expect(sum(s.workers, "relays")).toBe(sum(s.workers, "relayedTotal"));
      // Sessions are owned by the worker their sid names.
      const owners = new Set(clients.map((c) => parseInt(c.io.engine.id.slice(0, 2), 36)));
      for (const owner of owners) expect([0, 1]).toContain(owner);
      await roundTrip(cluster, clients, "relayed-room");
    } finally {
      closeAll(clients);
    }
    await expectIdle(cluster);
  });

  it("answers a sid whose owner is gone like engine.io: 400 Session ID unknown", async () => {
    const unknownSlot = "50" + "001" + "A".repeat(15); // slot 180: no such worker
    const oldIncarnation = "01" + "zzz" + "A".repeat(15); // slot 1, an incarnation that is not running
    for (const sid of [unknownSlot, oldIncarnation]) {
      for (let attempt = 0; attempt < 4; attempt++) {
        // New connections land on either worker; every worker must give the same answer.
        const res = await rawHttp(cluster.port, "GET", `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body)).toEqual({ code: 1, message: "Session ID unknown" });
      }
      await expect(upgradeSession(cluster.port, sid)).rejects.toMatchObject({ status: 400 });
    }
  });

  it("leaves no forwarded request behind when a client aborts mid long-poll", async () => {
    // Find a long-poll that is forwarded: each raw request opens its own connection.
    let aborted = false;
    for (let attempt = 0; attempt < 40 && !aborted; attempt++) {
      const sid = await openPollingSession(cluster.port);
      const before = sum((await stats(cluster)).workers, "forwardedTotal");
      const controller = new AbortController();
      const poll = rawHttp(cluster.port, "GET", `/socket.io/?EIO=4&transport=polling&sid=${sid}`, undefined, controller.signal).catch(() => undefined);
      // The long-poll is now held by the owner (nothing to send for 25 s).
      const now = await waitFor(async () => {
        const s = await stats(cluster);
        return sum(s.workers, "forwardedTotal") > before || s.workers.some((w) => w.connections > 0) ? s : undefined;
      }, "the long-poll to arrive");
      if (sum(now.workers, "forwarding") === 1) {
        controller.abort();
        await poll;
        aborted = true;
        await waitFor(async () => sum((await stats(cluster)).workers, "forwarding") === 0, "the forwarded long-poll to be closed", 20_000);
        // The owner sees the abort as it would a direct client's, and drops the session.
        await waitFor(async () => (await stats(cluster)).connections === 0, "the owner to drop the aborted session", 20_000);
      } else {
        controller.abort();
        await poll;
        await waitFor(async () => (await stats(cluster)).connections === 0, "a local session to close", 20_000);
      }
    }
    expect(aborted).toBe(true);
  });

  /** A raw upgraded session whose websocket is relayed (retries until one lands on the non-owner). */
  async function relayedSession() {
    for (let attempt = 0; attempt < 40; attempt++) {
      const sid = await openPollingSession(cluster.port);
      const before = sum((await stats(cluster)).workers, "relayedTotal");
      const ws = await upgradeSession(cluster.port, sid);
      const after = sum((await stats(cluster)).workers, "relayedTotal");
      if (after > before) return { sid, ws };
      ws.close();
      await waitForClose(ws);
      await expectIdle(cluster);
    }
    throw new Error("no relayed upgrade in 40 attempts");
  }

  it("closes the owner's side when the client closes a relay", async () => {
    const { ws } = await relayedSession();
    expect((await stats(cluster)).connections).toBe(1);
    ws.close(1000);
    // Well before the owner's ping timeout (45 s) could have noticed by itself.
    await expectIdle(cluster);
  });

  it("closes the client's side when the owner closes a relay", async () => {
    const { ws } = await relayedSession();
    // A malformed Socket.IO packet: the owner's server drops the connection on its own.
    ws.send("4x");
    await waitForClose(ws);
    await expectIdle(cluster);
  });

  it("carries binary frames both ways through a relay", async () => {
    const { ws } = await relayedSession();
    // A Socket.IO event with a binary attachment: header frame, then the binary frame.
    const echo = new Promise<Buffer>((resolve) => {
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        if (isBinary) resolve(data);
      });
    });
    ws.send('42["join","bin"]');
    ws.send('451-["publish",{"room":"bin","type":"blob","data":{"_placeholder":true,"num":0}}]');
    ws.send(Buffer.from([1, 2, 3, 250]), { binary: true });
    expect([...(await echo)]).toEqual([1, 2, 3, 250]);
    ws.close();
    await expectIdle(cluster);
  });

  it("hands relays back to their clients (1012, service restart) when the relaying worker drains", async () => {
    const { ws } = await relayedSession();
    const relaying = (await stats(cluster)).workers.find((w) => w.relays === 1)!;
    expect(relaying).toBeDefined();
    process.kill(relaying.pid, "SIGTERM");
    expect(await waitForClose(ws)).toBe(1012);
    // The owner ends the session, and the primary replaces the drained worker.
    await waitFor(async () => {
      const now = await stats(cluster);
      return now.workers.length === 2 && now.workers.every((w) => w.pid !== relaying.pid) && now.connections === 0;
    }, "the session to end and the drained worker to be replaced", 30_000);
  });

  it("makes clients whose owner was killed reconnect and work again", async () => {
    const clients: Socket[] = [];
    const rejoin = (c: Socket) => c.on("connect", () => void c.emitWithAck("join", "survivors").catch(() => {}));
    // 30 default clients (some relayed) and 10 polling-only ones (some forwarded).
    for (let i = 0; i < 40; i++) {
      const transports = i < 30 ? ["polling", "websocket"] : ["polling"];
      const c = ioClient(cluster.url, { forceNew: true, transports, reconnectionDelay: 200, reconnectionDelayMax: 1000, timeout: 10_000 } satisfies ClientOptions);
      rejoin(c);
      clients.push(c);
    }
    const upgraded = (c: Socket, i: number) => i >= 30 || c.io.engine.transport.name === "websocket";
    try {
      await waitFor(() => clients.every((c, i) => c.connected && upgraded(c, i)), "40 clients to connect (30 upgraded)", 30_000);
      const s = await stats(cluster);
      const relayedOwner = s.workers.find((w) => s.workers.some((o) => o.slot !== w.slot && o.relays > 0));
      expect(sum(s.workers, "relays")).toBeGreaterThan(0);
      const owner = relayedOwner!; // the other worker relays some of this one's sessions
      const ownedIds = new Set(clients.filter((c) => parseInt(c.io.engine.id.slice(0, 2), 36) === owner.slot).map((c) => c.id));
      expect(ownedIds.size).toBeGreaterThan(0);
      const disconnected = clients.filter((c) => ownedIds.has(c.id)).map((c) => nextEvent(c, "disconnect", 30_000));

      process.kill(owner.pid, "SIGKILL");
      await Promise.all(disconnected);

      await waitFor(async () => {
        const now = await stats(cluster);
        return now.workers.length === 2 && now.workers.every((w) => w.pid !== owner.pid) ? now : undefined;
      }, "the killed worker to be replaced", 30_000);
      await waitFor(() => clients.every((c) => c.connected), "every client to be connected again", 30_000);
      await waitFor(async () => (await stats(cluster)).connections === 40, "40 sessions after reconnecting", 30_000);
      // Every client rejoined on connect; make sure of it, then a publish reaches all.
      for (const c of clients) await request(c, "join", "survivors");
      const received = clients.map((c) => nextEvent<{ id: string }>(c, "message", 30_000));
      const ack = await request(clients[0]!, "publish", { room: "survivors", type: "t" });
      for (const envelope of await Promise.all(received)) expect(envelope.id).toBe(ack.id);
    } finally {
      closeAll(clients);
    }
    await expectIdle(cluster);
  });
});
