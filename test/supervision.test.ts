// The primary keeps the cluster alive and stops it cleanly.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { io as ioClient } from "socket.io-client";
import { startCluster, runCli } from "./helpers/cluster.js";
import { api, closeAll, connectMany, request } from "./helpers/clients.js";
import { nextEvent, waitFor } from "./helpers/wait.js";

describe("supervision", () => {
  it("replaces a worker killed with SIGKILL and serves new clients", async () => {
    const cluster = await startCluster();
    try {
      const before = (await api(cluster.url, "/api/stats")).body.workers as Array<{ slot: number; pid: number }>;
      const victim = before.find((w) => w.slot === 1)!;
      process.kill(victim.pid, "SIGKILL");

      const after = await waitFor(async () => {
        const { status, body } = await api(cluster.url, "/api/stats");
        const slot1 = status === 200 ? body.workers.find((w: { slot: number }) => w.slot === 1) : undefined;
        return slot1 && slot1.pid !== victim.pid && body.workers.length === 2 ? body.workers : undefined;
      }, "slot 1 to come back with a new pid", 30_000);
      expect(after.find((w: { slot: number }) => w.slot === 0).pid).toBe(before.find((w) => w.slot === 0)!.pid);
      await cluster.waitForOutput(/worker died; respawning.*"slot":1/);

      const clients = await connectMany(cluster.url, 8, { transports: ["websocket"] });
      for (const c of clients) await request(c, "join", "after-respawn");
      const got = clients.map((c) => nextEvent<any>(c, "message"));
      const ack = await request(clients[0]!, "publish", { room: "after-respawn", type: "t" });
      for (const envelope of await Promise.all(got)) expect(envelope.id).toBe(ack.id);
      closeAll(clients);
    } finally {
      await cluster.stop();
    }
  });

  it("drains on SIGTERM: clients are told to reconnect and the primary exits 0 within the drain timeout", async () => {
    const cluster = await startCluster({ env: { DRAIN_TIMEOUT_MS: "5000" } });
    const clients = await connectMany(cluster.url, 6, { transports: ["websocket"] });
    const reasons = clients.map((c) => nextEvent<string>(c, "disconnect", 20_000));
    const started = Date.now();
    const code = await cluster.stop("SIGTERM", 30_000);
    const elapsed = Date.now() - started;
    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(5_000 + 2_000 + 3_000);
    // "transport close" is the reason a stock client reconnects on by itself; a server-side
    // socket.disconnect() ("io server disconnect") would leave it disconnected for good.
    for (const reason of await Promise.all(reasons)) expect(reason).toBe("transport close");
    expect(cluster.output()).toMatch(/SIGTERM: draining/);
    expect(cluster.output()).toMatch(/\[worker 0\] drained/);
    expect(cluster.output()).toMatch(/\[worker 1\] drained/);
    expect(cluster.output()).toMatch(/\[primary\] stopped/);
    closeAll(clients);
  });

  it("gives up with a non-zero exit and the reason when workers keep failing at start-up", async () => {
    // Hold the port without SO_REUSEPORT so that no worker can ever listen on it.
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { code, output } = await runCli({ PORT: String(port), WORKERS: "2" }, [], 60_000);
      expect(code).toBe(1);
      expect(output).toMatch(/giving up: worker slot \d failed to start 5 times in a row: could not listen on 127\.0\.0\.1:\d+/);
      expect(output).not.toMatch(/ready:/);
    } finally {
      blocker.close();
    }
  });
});

describe("rolling restart", () => {
  it("replaces every worker on SIGHUP, one at a time, and clients reconnect and work", async () => {
    const cluster = await startCluster({ env: { DRAIN_TIMEOUT_MS: "3000" } });
    const clients = Array.from({ length: 10 }, () => ioClient(cluster.url, { forceNew: true, reconnectionDelay: 200, reconnectionDelayMax: 1000 }));
    try {
      await waitFor(() => clients.every((c) => c.connected), "10 clients to connect", 30_000);
      const before = ((await api(cluster.url, "/api/stats")).body.workers as Array<{ pid: number }>).map((w) => w.pid);

      cluster.process.kill("SIGHUP");
      await cluster.waitForOutput(/rolling restart done \{"replaced":2\}/, 60_000);

      const after = await waitFor(async () => {
        const { status, body } = await api(cluster.url, "/api/stats");
        return status === 200 && body.workers.length === 2 && !body.missing ? body.workers : undefined;
      }, "both new workers in /api/stats", 30_000);
      for (const w of after) expect(before).not.toContain(w.pid);
      expect(cluster.process.exitCode).toBeNull();

      // Wait for a working round trip, not just `connected`: a client may be connected at the
      // instant its last relay through a retiring worker closes, and a packet sent then is lost.
      for (const c of clients) {
        await waitFor(async () => (await c.timeout(3_000).emitWithAck("join", "after-roll").catch(() => undefined))?.ok === true, "a client to join after the roll", 30_000);
      }
      const received = clients.map((c) => nextEvent<{ id: string }>(c, "message", 30_000));
      const ack = await request(clients[0]!, "publish", { room: "after-roll", type: "t" });
      for (const envelope of await Promise.all(received)) expect(envelope.id).toBe(ack.id);
    } finally {
      closeAll(clients);
      await cluster.stop();
    }
  });
});
