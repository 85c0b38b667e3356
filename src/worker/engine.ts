import type { Server } from "socket.io";
import type { Config } from "../config.js";
import type { HttpApp } from "../http/app.js";
import type { InFlight } from "../http/uws-fetch-bridge.js";
import type { WorkerChannel } from "../ipc/worker-channel.js";
import type { Logger } from "../log.js";
import type { MeshStats } from "../mesh/index.js";
import type { CorsPolicy } from "../http/cors-policy.js";
import type { WorkerContext } from "./context.js";

/** What both engines get from the worker core. */
export interface EngineDeps {
  context: WorkerContext;
  config: Config;
  io: Server;
  http: HttpApp;
  cors: CorsPolicy;
  inFlight: InFlight;
  channel: WorkerChannel;
  log: Logger;
}

/** One way of putting Socket.IO and the HTTP app on the network. */
export interface Engine {
  /** Starts serving. Resolves once the worker can take clients. */
  listen(): Promise<{ privatePort?: number }>;
  /** Stops taking new connections (existing ones stay until closed). */
  stopAccepting(): void;
  /** Closes what is left after the drain. */
  close(): void;
  readonly mesh: MeshStats;
}

/** A start-up failure already logged and reported to the primary. */
export class WorkerStartError extends Error {
  override readonly name = "WorkerStartError";
}
