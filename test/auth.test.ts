// Handshake authentication: HS256 with JWT_SECRET, RS256 with a PEM JWT_PUBLIC_KEY given
// on one line with literal \n, every refusal a connect_error with data.code "unauthorized".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import type { Socket } from "socket.io-client";
import { startCluster, type RunningCluster } from "./helpers/cluster.js";
import { closeAll, connect, request } from "./helpers/clients.js";
import { signToken } from "./helpers/tokens.js";
import { JWT_SECRET } from "./helpers/tokens.js";
import { WS } from "./helpers/realtime.js";

async function refusal(url: string, auth: Record<string, unknown> | undefined): Promise<{ message: string; data: { code: string } }> {
  try {
    const socket = await connect(url, { ...WS, ...(auth ? { auth } : {}) });
    socket.close();
  } catch (err) {
    return err as { message: string; data: { code: string } };
  }
  throw new Error("the handshake was accepted");
}

describe("HS256 (JWT_SECRET)", () => {
  let cluster: RunningCluster;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    cluster = await startCluster({ env: { JWT_SECRET } });
  });
  afterAll(async () => {
    closeAll(sockets);
    await cluster?.stop();
  });

  it("does not warn about anonymous mode", () => {
    expect(cluster.output()).not.toMatch(/anonymous mode/);
  });

  it("accepts a valid token and knows the user", async () => {
    const socket = await connect(cluster.url, { ...WS, auth: { token: await signToken({ sub: "alice", name: "Alice" }, { expiresIn: "1h" }) } });
    sockets.push(socket);
    expect(await request(socket, "whoami")).toMatchObject({ ok: true, sub: "alice", name: "Alice", anonymous: false, namespace: "/" });
  });

  const cases: Array<[string, () => Promise<Record<string, unknown> | undefined>, RegExp]> = [
    ["no auth at all", async () => undefined, /no token/],
    ["an empty token", async () => ({ token: "" }), /no token/],
    ["a token that is not a string", async () => ({ token: 42 }), /no token/],
    ["a malformed token", async () => ({ token: "not.a.jwt" }), /malformed/],
    ["a token signed with another secret", async () => ({ token: await signToken({ sub: "mallory" }, { key: "another-secret-another-secret-0000" }) }), /signature is invalid/],
    ["an expired token", async () => ({ token: await signToken({ sub: "alice" }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }) }), /expired/],
    ["a token without sub", async () => ({ token: await signToken({ name: "nobody" }) }), /sub/],
    ["a token with a bad rooms claim", async () => ({ token: await signToken({ sub: "a", rooms: { lobby: "owner" } }) }), /rooms/],
    ["a token claiming the reserved sub \"server\"", async () => ({ token: await signToken({ sub: "server" }) }), /reserved/],
  ];
  for (const [what, auth, why] of cases) {
    it(`refuses ${what} with unauthorized and says why`, async () => {
      const err = await refusal(cluster.url, await auth());
      expect(err.data?.code).toBe("unauthorized");
      expect(err.message).toMatch(why);
    });
  }

  it("refuses an RS256 token when it expects HS256", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const err = await refusal(cluster.url, { token: await signToken({ sub: "alice" }, { key: privateKey, alg: "RS256" }) });
    expect(err.data.code).toBe("unauthorized");
    expect(err.message).toMatch(/algorithm is not accepted/);
  });

  it("still serves after refusals", async () => {
    const socket = await connect(cluster.url, { ...WS, auth: { token: await signToken({ sub: "bob" }) } });
    sockets.push(socket);
    expect(await request(socket, "join", "lobby")).toEqual({ ok: true, room: "lobby" });
  });
});

describe("RS256 (JWT_PUBLIC_KEY with literal \\n)", () => {
  let cluster: RunningCluster;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const oneLinePem = publicKey.export({ type: "spki", format: "pem" }).toString().trim().replace(/\n/g, "\\n");
  beforeAll(async () => {
    cluster = await startCluster({ env: { JWT_PUBLIC_KEY: oneLinePem } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("accepts a token signed with the matching private key", async () => {
    const socket = await connect(cluster.url, { ...WS, auth: { token: await signToken({ sub: "carol" }, { key: privateKey, alg: "RS256" }) } });
    expect(await request(socket, "whoami")).toMatchObject({ ok: true, sub: "carol", name: null });
    socket.close();
  });

  it("refuses an HS256 token and one signed by another key pair", async () => {
    const hs = await refusal(cluster.url, { token: await signToken({ sub: "carol" }) });
    expect(hs.data.code).toBe("unauthorized");
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const forged = await refusal(cluster.url, { token: await signToken({ sub: "carol" }, { key: other, alg: "RS256" }) });
    expect(forged.data.code).toBe("unauthorized");
    expect(forged.message).toMatch(/signature is invalid/);
  });
});
