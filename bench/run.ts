// `npm run bench`: starts each peer on loopback, runs the chosen scenarios against it with
// the same load, and writes latest.json, latest.md and latest.svg. A peer that cannot start
// and a scenario that fails are recorded with their reason; the run always completes.
import { cpus, loadavg, release, totalmem } from "node:os";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HELP, OptionError, parseOptions, type BenchOptions } from "./options.js";
import { BENCH_API_KEY, PEERS, ROOT, startPeer, PeerUnavailable, type PeerSpec, type RunningPeer } from "./peer-runner.js";
import { Progress, sleep } from "./progress.js";
import type { BenchResults, PeerResults, Setup } from "./results.js";
import { coldStart } from "./scenarios/cold-start.js";
import { connectionStorm, idleCapacity } from "./scenarios/connections.js";
import { roomFanout } from "./scenarios/fanout.js";
import { ackRoundTrip } from "./scenarios/ack.js";
import { forwardedRequests, pollingVsDirect, type MeshDelta } from "./scenarios/polling.js";
import { renderMarkdown } from "./report/markdown.js";
import { renderSvg } from "./report/svg.js";
import { SOURCE_ADDRESS_COUNT } from "./client/source-addresses.js";

const CONNECT_TIMEOUT_MS = 10_000;

function describeSetup(options: BenchOptions, argv: string[]): Setup {
  let openFiles = "unknown";
  try {
    openFiles = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
  } catch {
    /* not a shell we can ask */
  }
  return {
    date: new Date().toISOString(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${release()}`,
    openFilesLimit: openFiles,
    loadavgAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
    full: options.full,
    peers: options.peers.map((id) => ({ id, label: PEERS.find((p) => p.id === id)!.label })),
    scenarios: options.scenarios,
    sizes: {
      connections: options.connections,
      stormConcurrency: options.stormConcurrency,
      roomSizes: options.roomSizes,
      fanoutDurationMs: options.fanoutDurationMs,
      ackRates: options.ackRates,
      ackDurationMs: options.ackDurationMs,
      ackClients: options.ackClients,
      coldRuns: options.coldRuns,
      pollingClients: options.pollingClients,
      forwardSessions: options.forwardClients,
      sourceAddresses: SOURCE_ADDRESS_COUNT,
    },
    notes: [
      "Servers and the load generator share this machine's cores: compare server CPU per delivery as well as wall-clock rates.",
      "The load generator is one Node process speaking the Engine.IO/Socket.IO wire protocol over ws and undici.",
      "The limit peer is one bare uWebSockets.js process (uWS has no cross-process pub/sub); the others run 2 workers unless named one process.",
    ],
  };
}

function printSetup(setup: Setup, progress: Progress): void {
  progress.line(`realtime-edge benchmark — ${setup.date}`);
  progress.line(`  machine: ${setup.cores} cores, ${setup.cpuModel}, ${setup.memoryGb} GB, ${setup.os}, load ${setup.loadavgAtStart.join(" ")}`);
  progress.line(`  node ${setup.node}, open files limit ${setup.openFilesLimit}`);
  progress.line(`  peers: ${setup.peers.map((p) => p.id).join(", ")}`);
  progress.line(`  scenarios: ${setup.scenarios.join(", ")}`);
  progress.line(`  sizes: ${JSON.stringify(setup.sizes)}`);
}

function edgeEnvFor(spec: PeerSpec, options: BenchOptions): Record<string, string> {
  return spec.id.startsWith("edge-") ? options.edgeEnv : {};
}

async function runPeer(spec: PeerSpec, options: BenchOptions, progress: Progress): Promise<PeerResults> {
  const has = (s: string) => options.scenarios.includes(s as never);
  const results: PeerResults = { id: spec.id, label: spec.label, workers: spec.workers, status: "ok" };
  const env = edgeEnvFor(spec, options);
  progress.line(`\n[${spec.id}] ${spec.label}`);

  if (has("cold")) {
    progress.line(`  cold start × ${options.coldRuns}`);
    results.coldStart = await coldStart(spec, options.coldRuns, env);
  }

  let peer: RunningPeer;
  try {
    peer = await startPeer(spec, { env, cpuProfDir: options.cpuProfDir });
  } catch (err) {
    const reason = err instanceof PeerUnavailable ? err.message : `failed to start: ${(err as Error).message}`;
    progress.line(`  unavailable: ${reason}`);
    return { ...results, status: "unavailable", reason };
  }
  try {
    await sleep(500);
    const baseline = peer.usage().rssBytes;
    const wantsConnections = has("storm") || has("idle") || has("fanout") || has("ack");
    if (wantsConnections) {
      const count = Math.max(options.connections, has("fanout") ? Math.max(...options.roomSizes) : 0);
      progress.line(`  storm: ${count} connections`);
      const { result, clients } = await connectionStorm(peer, { count, concurrency: options.stormConcurrency, timeBudgetMs: options.full ? 180_000 : 60_000, connectTimeoutMs: CONNECT_TIMEOUT_MS }, progress);
      results.storm = result;
      progress.line(`    ${result.connected} connected in ${result.elapsedMs} ms (${result.connectionsPerSecond}/s)${result.reason ? `; ${result.reason}` : ""}`);
      if (spec.id.startsWith("edge-")) results.spread = await clusterSpread(peer);
      if (has("idle")) {
        results.idle = await idleCapacity(peer, baseline, clients, 2_000);
        progress.line(`  idle: ${results.idle.rssKbPerConnection} KB per connection at ${results.idle.connections}`);
      }
      if (has("fanout")) {
        results.fanout = [];
        for (const size of options.roomSizes) {
          const r = await roomFanout(peer, clients, size, { durationMs: options.fanoutDurationMs, maxBacklog: Math.max(50_000, size * 4), drainTimeoutMs: 10_000, connectTimeoutMs: CONNECT_TIMEOUT_MS }, progress);
          results.fanout.push(r);
          progress.line(`  fan-out ${size}: ${r.deliveriesPerSecond}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, lost ${r.lostDeliveries}${r.reason ? `; ${r.reason}` : ""}`);
        }
      }
      if (has("ack")) {
        results.ack = await ackRoundTrip(peer, clients.filter((c) => c.isOpen).slice(0, options.ackClients), { rates: options.ackRates, durationMs: options.ackDurationMs, maxWindowPerClient: 8, drainTimeoutMs: 5_000 }, progress);
        for (const r of [...results.ack.fixed, ...(results.ack.max ? [results.ack.max] : [])]) {
          progress.line(`  ack ${r.mode === "max" ? "max" : `@${r.offeredPerSecond}/s`}: ${r.achievedPerSecond}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms${r.refused ? `, ${r.refused} refused` : ""}`);
        }
      }
      for (const c of clients) c.close();
      await sleep(500);
    }
    const fanoutOptions = { durationMs: options.pollingDurationMs, maxBacklog: 50_000, drainTimeoutMs: 10_000, connectTimeoutMs: CONNECT_TIMEOUT_MS };
    if (has("polling")) {
      if (!spec.polling) results.polling = { status: "skipped", reason: "this peer serves websocket only" };
      else {
        progress.line(`  polling-first vs websocket-direct: ${options.pollingClients} subscribers`);
        const before = await meshTotals(peer);
        results.polling = await pollingVsDirect(peer, { subscribers: options.pollingClients, fanout: fanoutOptions, timeoutMs: CONNECT_TIMEOUT_MS }, progress);
        const delta = meshDelta(before, await meshTotals(peer));
        if (delta) results.polling.meshDelta = delta;
        const p = results.polling;
        progress.line(`    ${p.mode}: ${p.pollingFirst?.deliveriesPerSecond ?? "-"}/s vs direct ${p.websocketDirect.deliveriesPerSecond}/s (ratio ${p.deliveriesRatio ?? "-"})${p.reason ? `; ${p.reason}` : ""}`);
      }
    }
    if (has("forward")) {
      if (!spec.mesh) results.forward = { status: "skipped", reason: "only realtime-edge (uws) forwards requests between workers; sticky peers route in their primary" };
      else {
        progress.line(`  polling requests forwarded by one worker: ${options.forwardClients} sessions`);
        const before = await meshTotals(peer);
        results.forward = await forwardedRequests(peer, { sessions: options.forwardClients, durationMs: options.forwardDurationMs, timeoutMs: CONNECT_TIMEOUT_MS }, progress);
        const delta = meshDelta(before, await meshTotals(peer));
        if (delta) results.forward.meshDelta = delta;
        const f = results.forward;
        progress.line(`    forwarded ${f.forwarded?.requestsPerSecond ?? "-"}/s vs direct ${f.direct.requestsPerSecond}/s${f.reason ? `; ${f.reason}` : ""}`);
      }
    }
  } catch (err) {
    // A scenario bug must not lose the other peers' figures.
    results.reason = `run aborted: ${(err as Error).stack ?? (err as Error).message}`;
    progress.line(`  ${results.reason}`);
  } finally {
    await peer.stop();
  }
  return results;
}

type MeshTotals = { relayedTotal: number; forwardedTotal: number; relayDropped: number };

/** The mesh counters of every realtime-edge worker, summed (undefined for other peers). */
async function meshTotals(peer: RunningPeer): Promise<MeshTotals | undefined> {
  if (!peer.spec.id.startsWith("edge-")) return undefined;
  try {
    const res = await fetch(`${peer.url}/api/stats`, { headers: { authorization: `Bearer ${BENCH_API_KEY}` } });
    const body = (await res.json()) as { workers?: Partial<MeshTotals>[] };
    const sum = (k: keyof MeshTotals) => (body.workers ?? []).reduce((n, w) => n + (w[k] ?? 0), 0);
    return { relayedTotal: sum("relayedTotal"), forwardedTotal: sum("forwardedTotal"), relayDropped: sum("relayDropped") };
  } catch {
    return undefined;
  }
}

function meshDelta(before: MeshTotals | undefined, after: MeshTotals | undefined): MeshDelta | undefined {
  if (!before || !after) return undefined;
  return { relayed: after.relayedTotal - before.relayedTotal, forwarded: after.forwardedTotal - before.forwardedTotal, relayDropped: after.relayDropped - before.relayDropped };
}

async function clusterSpread(peer: RunningPeer): Promise<PeerResults["spread"]> {
  try {
    const res = await fetch(`${peer.url}/api/stats`, { headers: { authorization: `Bearer ${BENCH_API_KEY}` } });
    const body = (await res.json()) as { workers?: { slot: number; pid: number; connections: number }[] };
    return body.workers?.map(({ slot, pid, connections }) => ({ slot, pid, connections }));
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let options: BenchOptions | "help";
  try {
    options = parseOptions(argv, join(ROOT, "bench", "results"));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (options === "help") {
    process.stdout.write(HELP);
    return;
  }
  const progress = new Progress(options.quiet);
  const setup = describeSetup(options, argv);
  printSetup(setup, progress);
  const t0 = performance.now();
  const peers: PeerResults[] = [];
  for (const id of options.peers) {
    peers.push(await runPeer(PEERS.find((p) => p.id === id)!, options, progress));
  }
  const results: BenchResults = { setup, peers, durationSeconds: Math.round((performance.now() - t0) / 1000) };
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, "latest.json"), JSON.stringify(results, null, 2) + "\n");
  const markdown = renderMarkdown(results);
  writeFileSync(join(options.outDir, "latest.md"), markdown);
  writeFileSync(join(options.outDir, "latest.svg"), renderSvg(results));
  process.stdout.write(`\n${markdown}\nwritten to ${options.outDir}/latest.{json,md,svg} in ${results.durationSeconds} s\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
