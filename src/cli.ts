#!/usr/bin/env node
// Entry point. In the primary: read and validate the configuration (exit 2 on a bad one,
// before anything starts) and supervise the workers. In a worker: run the server.
import cluster from "node:cluster";
import { ConfigError, describeSettings, loadConfig } from "./config.js";
import { decodeWorkerContext, WORKER_CONTEXT_ENV } from "./worker/context.js";

const USAGE = `usage: realtime-edge [--flag value ...]   (each flag also reads from its env variable)\n\n${describeSettings()}\n`;

async function main(): Promise<void> {
  if (cluster.isWorker) {
    const { startWorker } = await import("./worker/index.js");
    await startWorker(decodeWorkerContext(process.env[WORKER_CONTEXT_ENV]));
    return;
  }
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return;
  }
  let config;
  try {
    config = loadConfig(process.env, argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`realtime-edge: invalid configuration (${err.code}):\n${err.problems.map((p) => `  ${p}`).join("\n")}\n\n${USAGE}`);
      process.exit(2);
    }
    throw err;
  }
  const { startPrimary } = await import("./primary/index.js");
  await startPrimary(config);
}

main().catch((err: unknown) => {
  if ((err as Error).name !== "WorkerStartError") process.stderr.write(`realtime-edge: ${(err as Error).stack ?? String(err)}\n`);
  // A worker's last IPC message (why it failed) needs a moment to reach the primary.
  setTimeout(() => process.exit(1), cluster.isWorker ? 100 : 0);
});
