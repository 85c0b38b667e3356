// The benchmark harness at tiny sizes against realtime-edge (both engines): it must start
// the peers, run every scenario and write latest.json/.md/.svg with every field. No timing
// is asserted: benchmark figures are never pass/fail. Output goes to a temporary directory
// so the committed bench/results stay those of the last real run.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cluster.js";

const out = mkdtempSync(join(tmpdir(), "bench-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

type Json = Record<string, unknown>;

function at(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split(".")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Json)[key];
  }
  return current;
}

function expectNumber(value: unknown, path: string) {
  expect(typeof at(value, path), `${path} in ${JSON.stringify(value).slice(0, 300)}`).toBe("number");
}

describe("bench harness (smoke)", () => {
  it("runs every scenario against realtime-edge at tiny sizes and writes every field", async () => {
    const args = [
      "dist/bench/run.js",
      "--peers", "edge-uws,edge-node",
      "--connections", "40",
      "--rooms", "10,40",
      "--fanout-ms", "300",
      "--ack-rates", "100",
      "--ack-ms", "300",
      "--cold-runs", "1",
      "--polling-clients", "8",
      "--polling-ms", "300",
      "--forward-sessions", "4",
      "--out", out,
      "--quiet",
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 80_000);
    const [code] = (await once(child, "exit")) as [number | null];
    clearTimeout(timer);
    expect(code, output).toBe(0);

    const results = JSON.parse(readFileSync(join(out, "latest.json"), "utf8")) as Json;
    for (const key of ["date", "command", "cpuModel", "node", "openFilesLimit"]) expect(typeof at(results, `setup.${key}`)).toBe("string");
    expectNumber(results, "setup.cores");
    expectNumber(results, "setup.sizes.connections");
    expectNumber(results, "durationSeconds");

    const peers = results.peers as Json[];
    expect(peers.map((p) => p.id)).toEqual(["edge-uws", "edge-node"]);
    for (const peer of peers) {
      expect(peer.status, JSON.stringify(peer).slice(0, 500)).toBe("ok");
      expect(peer.reason, String(peer.reason)).toBeUndefined();
      expectNumber(peer, "coldStart.medianReadyzMs");
      expectNumber(peer, "coldStart.medianReadyLineMs");
      expect(at(peer, "storm.connected")).toBe(40);
      expectNumber(peer, "storm.connectionsPerSecond");
      expectNumber(peer, "storm.serverCpuSeconds");
      expectNumber(peer, "idle.rssKbPerConnection");
      const fanout = peer.fanout as Json[];
      expect(fanout.map((f) => f.roomSize)).toEqual([10, 40]);
      for (const f of fanout) {
        expect(f.status, String(f.reason)).toBe("ok");
        for (const key of ["deliveries", "deliveriesPerSecond", "p50Ms", "p99Ms", "serverCpuMicrosPerDelivery", "lostDeliveries"]) expectNumber(f, key);
      }
      expect(at(peer, "ack.status")).toBe("ok");
      for (const key of ["achievedPerSecond", "p50Ms", "p99Ms"]) {
        expectNumber(peer, `ack.fixed.0.${key}`);
        expectNumber(peer, `ack.max.${key}`);
      }
      expect(at(peer, "polling.status"), String(at(peer, "polling.reason"))).toBe("ok");
      expectNumber(peer, "polling.websocketDirect.deliveriesPerSecond");
      expectNumber(peer, "polling.pollingFirst.deliveriesPerSecond");
      expectNumber(peer, "polling.pollingFirst.p99Ms");
      expectNumber(peer, "polling.deliveriesRatio");
    }
    const [uws, node] = peers;
    expect(at(uws, "polling.mode")).toBe("relayed");
    // Every polling-first subscriber of the uws engine crossed the mesh's websocket relay.
    expect(at(uws, "polling.meshDelta.relayed")).toBe(8);
    expect(at(uws, "forward.status"), String(at(uws, "forward.reason"))).toBe("ok");
    expectNumber(uws, "forward.forwarded.requestsPerSecond");
    expectNumber(uws, "forward.direct.requestsPerSecond");
    expect(at(uws, "forward.meshDelta.forwarded") as number).toBeGreaterThan(0);
    expect(at(node, "polling.mode")).toBe("sticky");
    expect(at(node, "forward.status")).toBe("skipped");

    const markdown = readFileSync(join(out, "latest.md"), "utf8");
    expect(markdown).toContain("| figure | edge-uws | edge-node |");
    expect(markdown).toContain("fan-out, room of 40");
    expect(markdown).toContain("Targets");
    const svg = readFileSync(join(out, "latest.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("connection storm");
  });

  it("reports a peer that cannot start as unavailable and still writes the files", async () => {
    const child = spawn(process.execPath, ["dist/bench/run.js", "--peers", "edge-uws", "--scenarios", "storm", "--connections", "5", "--edge-env", "WORKERS=0", "--out", join(out, "bad"), "--quiet"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code, output).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "bad", "latest.json"), "utf8")) as Json;
    const [peer] = results.peers as Json[];
    expect(peer!.status).toBe("unavailable");
    expect(String(peer!.reason)).toMatch(/WORKERS/);
  });
});
