// Bearer-key authentication for /api. The key is compared in constant time (both sides
// hashed first, so even the length does not leak).
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { errorBody } from "../errors.js";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

export function apiKeyAuth(apiKey: string | undefined): MiddlewareHandler {
  const expected = apiKey === undefined ? undefined : digest(apiKey);
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return next();
    if (!expected) {
      return c.json(errorBody("api_disabled", "the HTTP API is disabled: start the server with API_KEY set"), 403);
    }
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) {
      c.header("WWW-Authenticate", 'Bearer realm="realtime-edge"');
      return c.json(errorBody("unauthorized", "missing or wrong API key: send Authorization: Bearer <API_KEY>"), 401);
    }
    return next();
  };
}
