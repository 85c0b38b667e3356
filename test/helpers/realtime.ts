// Helpers for protocol tests: sockets of one user spread over both workers.
import type { Socket } from "socket.io-client";
import { connect, request, type ClientOptions } from "./clients.js";

export const WS: ClientOptions = { transports: ["websocket"] };

/** Which worker a socket landed on (the `whoami` event says). */
export async function workerOf(socket: Socket): Promise<number> {
  const who = await request(socket, "whoami");
  return who.worker as number;
}

/**
 * Connects sockets with the same options until at least one sits on each of `workers`
 * workers and there are at least `min` sockets. The kernel (SO_REUSEPORT) picks the
 * worker, so this keeps connecting, within a bound, rather than assume where they land.
 */
export async function connectSpread(url: string, options: ClientOptions, min = 2, workers = 2): Promise<Array<{ socket: Socket; worker: number }>> {
  const placed: Array<{ socket: Socket; worker: number }> = [];
  for (let attempt = 0; attempt < 64; attempt++) {
    const socket = await connect(url, { ...WS, ...options });
    placed.push({ socket, worker: await workerOf(socket) });
    if (placed.length >= min && new Set(placed.map((p) => p.worker)).size >= workers) return placed;
  }
  for (const p of placed) p.socket.close();
  throw new Error(`64 connections did not reach ${workers} workers`);
}
