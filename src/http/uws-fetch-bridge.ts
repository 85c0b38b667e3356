// Serves a Fetch-style handler (our Hono app) from a uWS HttpResponse/HttpRequest pair.
//
// uWS rules this file lives by: the HttpRequest is only valid during the synchronous part
// of the handler, so everything is read from it up front; a response answered later must
// have an onAborted handler and must not be touched after an abort; writes made outside
// the handler are corked so headers and body leave in one syscall.
import { STATUS_CODES } from "node:http";
import type { HttpRequest, HttpResponse } from "uWebSockets.js";

export interface BridgeEnv {
  remoteAddress: string;
}

export type FetchHandler = (request: Request, env: BridgeEnv) => Response | Promise<Response>;

export interface BridgeOptions {
  maxBodyBytes: number;
}

/** Counts requests in progress, so a draining worker can wait for them. */
export class InFlight {
  count = 0;
  private waiters: Array<() => void> = [];
  start(): void {
    this.count++;
  }
  end(): void {
    this.count--;
    if (this.count === 0) for (const w of this.waiters.splice(0)) w();
  }
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

const BODYLESS = new Set(["GET", "HEAD", "OPTIONS"]);

export function serveWithFetch(res: HttpResponse, req: HttpRequest, handler: FetchHandler, options: BridgeOptions, inFlight?: InFlight): void {
  const method = req.getMethod().toUpperCase();
  const query = req.getQuery();
  const headers = new Headers();
  req.forEach((key, value) => headers.append(key, value));
  const url = `http://${headers.get("host") ?? "localhost"}${req.getUrl()}${query ? `?${query}` : ""}`;
  const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();

  const abort = new AbortController();
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
    abort.abort();
  });

  inFlight?.start();
  const finish = () => inFlight?.end();

  const declaredLength = Number(headers.get("content-length") ?? "0");
  if (!BODYLESS.has(method) && declaredLength > options.maxBodyBytes) {
    respondTooLarge(res, options.maxBodyBytes);
    finish();
    return;
  }

  const run = (body: Buffer | undefined) => {
    let request: Request;
    try {
      request = new Request(url, { method, headers, body, signal: abort.signal });
    } catch {
      if (!aborted) res.cork(() => res.writeStatus("400 Bad Request").end("bad request", true));
      finish();
      return;
    }
    Promise.resolve()
      .then(() => handler(request, { remoteAddress }))
      .then((response) => writeResponse(res, response, abort.signal))
      .catch(() => {
        if (!aborted) res.cork(() => res.writeStatus("500 Internal Server Error").end());
      })
      .finally(finish);
  };

  if (BODYLESS.has(method)) {
    run(undefined);
    return;
  }

  const chunks: Buffer[] = [];
  let received = 0;
  let refused = false;
  res.onData((chunk, isLast) => {
    if (refused) return;
    received += chunk.byteLength;
    if (received > options.maxBodyBytes) {
      refused = true;
      respondTooLarge(res, options.maxBodyBytes);
      finish();
      return;
    }
    // uWS reuses the chunk's memory after this callback returns: copy it.
    chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (isLast) run(Buffer.concat(chunks));
  });
}

function respondTooLarge(res: HttpResponse, limit: number): void {
  const body = JSON.stringify({ ok: false, error: { code: "payload_too_large", message: `the request body exceeds ${limit} bytes` } });
  res.cork(() => {
    res.writeStatus("413 Payload Too Large").writeHeader("content-type", "application/json").end(body, true);
  });
}

function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? "Unknown"}`;
}

async function writeResponse(res: HttpResponse, response: Response, signal: AbortSignal): Promise<void> {
  const isAborted = () => signal.aborted;
  if (isAborted()) return;
  const streaming = (response.headers.get("content-type") ?? "").startsWith("text/event-stream");
  if (!streaming || !response.body) {
    const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined;
    if (isAborted()) return;
    res.cork(() => {
      writeHead(res, response);
      res.end(body ?? "");
    });
    return;
  }

  // Streamed bodies (server-sent events): write each chunk as it comes and wait for the
  // socket to drain when uWS reports backpressure, so a slow reader cannot grow our memory.
  res.cork(() => writeHead(res, response));
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (isAborted()) return;
      if (done) break;
      let ok = true;
      res.cork(() => {
        ok = res.write(value);
      });
      if (!ok) {
        await new Promise<void>((resolve) => {
          // onAborted already belongs to the request; listen to its signal instead.
          signal.addEventListener("abort", () => resolve(), { once: true });
          res.onWritable(() => {
            resolve();
            return true;
          });
        });
        if (isAborted()) return;
      }
    }
    res.cork(() => res.end());
  } finally {
    if (isAborted()) void reader.cancel().catch(() => {});
  }
}

function writeHead(res: HttpResponse, response: Response): void {
  res.writeStatus(statusLine(response.status));
  response.headers.forEach((value, key) => {
    // uWS computes content-length itself; a second one would corrupt the response.
    if (key === "content-length" || key === "set-cookie") return;
    res.writeHeader(key, value);
  });
  for (const cookie of response.headers.getSetCookie()) res.writeHeader("set-cookie", cookie);
}
