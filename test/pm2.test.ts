// The pm2 ecosystem file: start, serve, and stop with a drain.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { findFreePort } from "../src/primary/free-port.js";
import { API_KEY, ROOT } from "./helpers/cluster.js";
import { waitFor } from "./helpers/wait.js";

const run = promisify(execFile);
const PM2 = join(ROOT, "node_modules", "pm2", "bin", "pm2");
// A private PM2_HOME: the test never touches a pm2 daemon the user may be running.
const pm2Home = mkdtempSync(join(tmpdir(), "realtime-edge-pm2-"));

async function pm2(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [PM2, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PM2_HOME: pm2Home, ...env },
    timeout: 60_000,
  });
}

afterAll(async () => {
  await pm2(["kill"]).catch(() => {});
  rmSync(pm2Home, { recursive: true, force: true });
});

describe("pm2", () => {
  it("starts the cluster from ecosystem.config.js and drains it on pm2 stop", async () => {
    const port = await findFreePort("127.0.0.1");
    await pm2(["start", "ecosystem.config.js"], { PORT: String(port), HOST: "127.0.0.1", WORKERS: "2", LOG_LEVEL: "info", API_KEY });

    const health = await waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
      return response.ok ? response.json() : undefined;
    }, "the pm2-started server to answer /healthz", 45_000);
    expect(health).toMatchObject({ ok: true, status: "alive" });
    // Every server setting in pm2's environment reaches the server (here, the API key).
    const stats = await fetch(`http://127.0.0.1:${port}/api/stats`, { headers: { authorization: `Bearer ${API_KEY}` }, signal: AbortSignal.timeout(15_000) });
    expect(stats.status).toBe(200);
    expect(((await stats.json()) as { workers: unknown[] }).workers).toHaveLength(2);

    await pm2(["stop", "ecosystem.config.js"]);
    await waitFor(async () => {
      try {
        await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
        return false;
      } catch {
        return true;
      }
    }, "the port to close after pm2 stop", 30_000);

    const logs = readdirSync(join(pm2Home, "logs")).map((f) => readFileSync(join(pm2Home, "logs", f), "utf8")).join("\n");
    expect(logs).toMatch(/ready: 2 workers, engine uws/);
    expect(logs).toMatch(/SIGINT: draining/);
    expect(logs).toMatch(/\[primary\] stopped/);
  });
});
