// The Hono app every worker serves: health, readiness, CORS preflight for the Socket.IO
// path and the API, and the API itself. Everything a route needs arrives in HttpDeps.
import { Hono } from "hono";
import { cors } from "hono/cors";
import { apiKeyAuth } from "./api-auth.js";
import type { CorsPolicy } from "./cors-policy.js";
import { errorBody } from "../errors.js";
import type { BridgeEnv } from "./uws-fetch-bridge.js";
import type { OperationResult } from "../ipc/messages.js";
import type { Logger } from "../log.js";
import type { RealtimeApi } from "../realtime/index.js";
import { pushRoutes } from "./routes/push.js";

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export interface HttpDeps {
  slot: number;
  socketPath: string;
  apiKey: string | undefined;
  cors: CorsPolicy;
  readiness(): Readiness;
  clusterStats(): Promise<OperationResult<"stats">>;
  /** The realtime side, for the push API (a getter: it is created after the HTTP app). */
  realtime(): RealtimeApi;
  log: Logger;
}

export type HttpApp = Hono<{ Bindings: BridgeEnv }>;

export function createHttpApp(deps: HttpDeps): HttpApp {
  const app: HttpApp = new Hono<{ Bindings: BridgeEnv }>();
  const startedAt = Date.now();

  const corsMiddleware = cors({
    origin: (origin) => deps.cors.allow(origin || undefined),
    credentials: deps.cors.credentials,
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type"],
    maxAge: 600,
  });
  app.use(deps.socketPath, corsMiddleware);
  app.use(`${deps.socketPath}/*`, corsMiddleware);
  app.use("/api/*", corsMiddleware);

  app.get("/healthz", (c) => c.json({ ok: true, status: "alive", slot: deps.slot, pid: process.pid, uptimeMs: Date.now() - startedAt }));

  app.get("/readyz", (c) => {
    const r = deps.readiness();
    return c.json({ ok: r.ready, ready: r.ready, slot: deps.slot, ...(r.reason ? { reason: r.reason } : {}) }, r.ready ? 200 : 503);
  });

  app.use("/api/*", apiKeyAuth(deps.apiKey));

  app.get("/api/stats", async (c) => {
    const stats = await deps.clusterStats();
    const workers = [...stats.workers].sort((a, b) => a.slot - b.slot);
    return c.json({
      ok: true,
      workers,
      connections: workers.reduce((sum, w) => sum + w.connections, 0),
      ...(stats.missing.length > 0 ? { missing: stats.missing } : {}),
    });
  });

  app.route("/api", pushRoutes({ realtime: deps.realtime, log: deps.log }));

  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
  app.onError((err, c) => {
    const code = (err as { code?: unknown }).code;
    if (code === "primary_timeout" || code === "primary_unreachable") {
      return c.json(errorBody(code, err.message), 503);
    }
    deps.log.error("unhandled error in a route", { method: c.req.method, path: c.req.path, error: err });
    return c.json(errorBody("internal_error", "the server failed to handle this request"), 500);
  });

  return app;
}
