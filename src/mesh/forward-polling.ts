// Forwards an HTTP long-polling request (GET or POST) to the worker that owns its session,
// over a pooled loopback connection, and streams the owner's answer back unchanged.
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { FORWARDED_HEADER } from "./router.js";
import type { MeshStats } from "./stats.js";

/** Engine.io's answer to a sid it does not know: the stock client reconnects on it. */
export const SESSION_UNKNOWN_BODY = JSON.stringify({ code: 1, message: "Session ID unknown" });

// Hop-by-hop headers describe one connection, not the request: never pass them on.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);
// uWS writes these itself.
const SET_BY_UWS = new Set(["content-length", "date", "transfer-encoding", "connection", "keep-alive"]);

/**
 * A long-poll is held by the owner for at most pingInterval (25 s) before it answers; a
 * forwarded request still open long after that means the owner is stuck.
 */
const FORWARD_TIMEOUT_MS = 60_000;

export interface ForwardContext {
  agent: Agent;
  stats: MeshStats;
  /** CORS headers for the request's origin, for answers we make ourselves. */
  corsHeaders(origin: string | undefined): Array<[string, string]>;
}

export function createLoopbackAgent(): Agent {
  // Keep-alive: one forwarded request reuses a warm loopback connection to its owner.
  return new Agent({ keepAlive: true, keepAliveMsecs: 10_000, maxFreeSockets: 64, scheduling: "lifo" });
}

export function respondSessionUnknown(res: HttpResponse, cors: Array<[string, string]>): void {
  res.cork(() => {
    res.writeStatus("400 Bad Request").writeHeader("content-type", "application/json");
    for (const [k, v] of cors) res.writeHeader(k, v);
    res.end(SESSION_UNKNOWN_BODY);
  });
}

export function forwardPolling(res: HttpResponse, req: HttpRequest, port: number, context: ForwardContext): void {
  const method = req.getMethod().toUpperCase();
  const path = `${req.getUrl()}?${req.getQuery()}`;
  const headers: Record<string, string> = {};
  req.forEach((key, value) => {
    if (!HOP_BY_HOP.has(key)) headers[key] = value;
  });
  const origin = headers["origin"];
  headers[FORWARDED_HEADER] = "1";
  headers["x-forwarded-for"] = Buffer.from(res.getRemoteAddressAsText()).toString();

  const { stats } = context;
  stats.forwarding++;
  stats.forwardedTotal++;
  let settled = false;
  let aborted = false;
  const settle = () => {
    if (settled) return false;
    settled = true;
    stats.forwarding--;
    return true;
  };

  const upstream = httpRequest({ host: "127.0.0.1", port, method, path, headers, agent: context.agent, timeout: FORWARD_TIMEOUT_MS });

  const fail = () => {
    if (!settle()) return;
    upstream.destroy();
    // The owner vanished or broke mid-request: its session is gone, so say so the way
    // engine.io does, and the client starts a new session instead of hanging.
    if (!aborted) respondSessionUnknown(res, context.corsHeaders(origin));
  };

  res.onAborted(() => {
    aborted = true;
    // The client went away (e.g. closed its long-poll): close the forwarded request too, so
    // the owner sees the same abort a direct client would have caused.
    if (settle()) upstream.destroy();
  });

  upstream.on("timeout", fail);
  upstream.on("error", fail);
  upstream.on("response", (answer: IncomingMessage) => {
    const chunks: Buffer[] = [];
    answer.on("data", (chunk: Buffer) => chunks.push(chunk));
    answer.on("error", fail);
    answer.on("aborted", fail);
    answer.on("end", () => {
      if (!settle() || aborted) return;
      res.cork(() => {
        res.writeStatus(`${answer.statusCode ?? 502} ${answer.statusMessage ?? ""}`.trim());
        for (const [key, value] of Object.entries(answer.headers)) {
          if (value === undefined || SET_BY_UWS.has(key)) continue;
          for (const v of Array.isArray(value) ? value : [value]) res.writeHeader(key, v);
        }
        res.end(Buffer.concat(chunks));
      });
    });
  });

  if (method === "GET" || method === "HEAD") {
    upstream.end();
    return;
  }
  res.onData((chunk, isLast) => {
    // uWS reuses the chunk's memory after this callback: copy it before it leaves.
    upstream.write(Buffer.from(new Uint8Array(chunk)));
    if (isLast) upstream.end();
  });
}
