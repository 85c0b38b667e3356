// The Hono app on its own (Hono's in-process request): the answers that a running cluster
// cannot be caught giving on demand, such as a worker that is not ready.
import { describe, expect, it } from "vitest";
import { createHttpApp, type Readiness } from "../src/http/app.js";
import { corsPolicy } from "../src/http/cors-policy.js";
import { createLogger } from "../src/log.js";
import { IpcError } from "../src/ipc/messages.js";

function app(readiness: Readiness, stats: () => Promise<never> | Promise<{ workers: []; missing: number[] }> = async () => ({ workers: [], missing: [] })) {
  return createHttpApp({
    slot: 3,
    socketPath: "/socket.io",
    apiKey: "a-key-of-sixteen-chars",
    cors: corsPolicy([]),
    readiness: () => readiness,
    clusterStats: stats,
    realtime: () => {
      throw new Error("these tests do not reach the push API");
    },
    log: createLogger("test"),
  });
}

const env = { remoteAddress: "127.0.0.1" };

describe("/readyz", () => {
  it("answers 503 with the reason while the worker is not ready", async () => {
    const response = await app({ ready: false, reason: "draining" }).request("/readyz", {}, env);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ok: false, ready: false, slot: 3, reason: "draining" });
  });
});

describe("/api/stats", () => {
  it("answers 503 with the code when the primary does not answer in time", async () => {
    const slow = app({ ready: true }, () => Promise.reject(new IpcError("primary_timeout", "the primary did not answer")));
    const response = await slow.request("/api/stats", { headers: { authorization: "Bearer a-key-of-sixteen-chars" } }, env);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("primary_timeout");
  });

  it("lists workers that did not answer as missing", async () => {
    const partial = app({ ready: true }, async () => ({ workers: [], missing: [1] }));
    const response = await partial.request("/api/stats", { headers: { authorization: "Bearer a-key-of-sixteen-chars" } }, env);
    expect(await response.json()).toEqual({ ok: true, workers: [], connections: 0, missing: [1] });
  });
});
