// The protocol's small pure parts, with a fake clock where time matters.
import { describe, expect, it } from "vitest";
import { IdempotencyWindow } from "../src/primary/idempotency-window.js";
import { TokenBucket } from "../src/realtime/rate-limit.js";
import { matchesGlob, roleIn } from "../src/realtime/room-access.js";
import type { Identity } from "../src/realtime/identity.js";

describe("IdempotencyWindow", () => {
  it("reports an id as duplicate within the window and fresh after it", () => {
    let now = 1_000;
    const window = new IdempotencyWindow(60_000, 100, () => now);
    expect(window.claim("a", 1_000)).toEqual({ fresh: true, timestamp: 1_000 });
    now += 59_999;
    expect(window.claim("a", now)).toEqual({ fresh: false, timestamp: 1_000 });
    now += 1;
    expect(window.claim("a", now)).toEqual({ fresh: true, timestamp: now });
  });

  it("stays bounded, forgetting the oldest ids first", () => {
    const window = new IdempotencyWindow(60_000, 3, () => 0);
    for (const id of ["a", "b", "c", "d"]) window.claim(id, 0);
    expect(window.size).toBe(3);
    expect(window.evictedEarly).toBe(1);
    expect(window.claim("d", 0).fresh).toBe(false);
    expect(window.claim("a", 0).fresh).toBe(true);
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then the rate", () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    for (let i = 0; i < 3; i++) expect(bucket.take().ok).toBe(true);
    const refused = bucket.take();
    expect(refused).toEqual({ ok: false, retryAfterMs: 500 });
    now += 500;
    expect(bucket.take().ok).toBe(true);
    expect(bucket.take().ok).toBe(false);
    now += 10_000; // refills to the burst, not beyond
    for (let i = 0; i < 3; i++) expect(bucket.take().ok).toBe(true);
    expect(bucket.take().ok).toBe(false);
  });
});

describe("room roles", () => {
  const identity = (rooms: Identity["rooms"]): Identity => ({ sub: "u", name: null, rooms, anonymous: false });

  it("matches globs whole, with regex characters taken literally", () => {
    expect(matchesGlob("team-*", "team-red")).toBe(true);
    expect(matchesGlob("team-*", "team-")).toBe(true);
    expect(matchesGlob("team-*", "my-team-red")).toBe(false);
    expect(matchesGlob("a.b*", "axb1")).toBe(false);
    expect(matchesGlob("a.b*", "a.b1")).toBe(true);
    expect(matchesGlob("*", "anything at all")).toBe(true);
  });

  it("lets an exact entry win over globs, and the strongest glob win among globs", () => {
    const rooms = identity({ "team-*": "member", "team-ops": "viewer", "*-ops": "admin", "x*": "viewer" });
    expect(roleIn(rooms, "team-ops")).toBe("viewer");
    expect(roleIn(rooms, "team-red")).toBe("member");
    expect(roleIn(rooms, "team-red-ops")).toBe("admin");
    expect(roleIn(rooms, "nope")).toBeNull();
    expect(roleIn(identity(null), "anything")).toBe("member");
  });
});

describe("authenticator with an ES256 key", () => {
  it("accepts an ES256 token from the matching key and refuses an HS256 one", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const { authenticator } = await import("../src/realtime/auth.js");
    const { createLogger, setLogLevel } = await import("../src/log.js");
    const { signToken } = await import("./helpers/tokens.js");
    setLogLevel("silent");
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const auth = authenticator({ jwtSecret: undefined, jwtPublicKey: publicKey.export({ type: "spki", format: "pem" }).toString() }, createLogger("test"));
    const handshake = (token: string) =>
      new Promise<{ err: (Error & { data?: { code: string } }) | undefined; data: Record<string, any> }>((resolve) => {
        const socket = { id: "sid", data: {} as Record<string, any>, handshake: { auth: { token }, address: "127.0.0.1" } };
        auth(socket as never, (err) => resolve({ err, data: socket.data }));
      });
    const accepted = await handshake(await signToken({ sub: "ec-user", rooms: { a: "admin" } }, { key: privateKey, alg: "ES256" }));
    expect(accepted.err).toBeUndefined();
    expect(accepted.data.identity).toEqual({ sub: "ec-user", name: null, rooms: { a: "admin" }, anonymous: false });
    const refused = await handshake(await signToken({ sub: "ec-user" }));
    expect(refused.err?.data?.code).toBe("unauthorized");
    expect(refused.err?.message).toMatch(/algorithm is not accepted: this server accepts ES256/);
  });
});
