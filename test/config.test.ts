// Configuration: defaults, flags over env, and refusals that name the variable.
import { describe, expect, it } from "vitest";
import { availableParallelism } from "node:os";
import { generateKeyPairSync } from "node:crypto";
import { ConfigError, loadConfig } from "../src/config.js";
import { runCli } from "./helpers/cluster.js";

describe("loadConfig", () => {
  it("uses the documented defaults", () => {
    const config = loadConfig({}, []);
    expect(config).toMatchObject({
      port: 3000,
      host: "0.0.0.0",
      workers: availableParallelism(),
      corsOrigins: [],
      apiKey: undefined,
      logLevel: "info",
      engine: "auto",
      drainTimeoutMs: 10_000,
      socketPath: "/socket.io",
    });
  });

  it("lets a flag win over its env variable", () => {
    const config = loadConfig({ PORT: "4000", WORKERS: "3" }, ["--port", "5000"]);
    expect(config.port).toBe(5000);
    expect(config.workers).toBe(3);
  });

  it("parses the CORS list and accepts * only alone", () => {
    expect(loadConfig({ CORS_ORIGINS: "https://a.com, http://localhost:5173" }, []).corsOrigins).toEqual(["https://a.com", "http://localhost:5173"]);
    expect(loadConfig({ CORS_ORIGINS: "*" }, []).corsOrigins).toEqual(["*"]);
    expect(() => loadConfig({ CORS_ORIGINS: "*,https://a.com" }, [])).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: "https://a.com/path" }, [])).toThrow(/CORS_ORIGINS/);
  });

  it("names every bad variable at once", () => {
    try {
      loadConfig({ PORT: "-1", WORKERS: "0", ENGINE: "turbo", LOG_LEVEL: "loud", API_KEY: "short" }, []);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as ConfigError).message;
      for (const name of ["PORT", "WORKERS", "ENGINE", "LOG_LEVEL", "API_KEY"]) expect(message).toContain(name);
    }
  });

  it("refuses unknown flags", () => {
    expect(() => loadConfig({}, ["--prot", "1"])).toThrow(ConfigError);
  });
});

describe("protocol settings", () => {
  it("has documented defaults", () => {
    expect(loadConfig({}, [])).toMatchObject({
      jwtSecret: undefined,
      jwtPublicKey: undefined,
      maxMessageBytes: 65_536,
      publishRate: 20,
      publishBurst: 40,
      maxRoomsPerSocket: 100,
      idempotencyWindowMs: 60_000,
      compression: true,
      compressionThreshold: 1024,
      namespaces: [],
    });
  });

  it("accepts an RSA or P-256 PEM public key, also with literal \\n, and refuses others", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(loadConfig({ JWT_PUBLIC_KEY: rsa }, []).jwtPublicKey).toContain("BEGIN PUBLIC KEY");
    expect(loadConfig({ JWT_PUBLIC_KEY: rsa.trim().replace(/\n/g, "\\n") }, []).jwtPublicKey).toBe(rsa);
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(loadConfig({ JWT_PUBLIC_KEY: ec }, []).jwtPublicKey).toBe(ec);
    const ed = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(() => loadConfig({ JWT_PUBLIC_KEY: ed }, [])).toThrow(/JWT_PUBLIC_KEY/);
    expect(() => loadConfig({ JWT_PUBLIC_KEY: "not a key" }, [])).toThrow(/JWT_PUBLIC_KEY/);
  });

  it("refuses a short JWT_SECRET and both keys at once", () => {
    expect(() => loadConfig({ JWT_SECRET: "short-secret" }, [])).toThrow(/JWT_SECRET=\(hidden\): must be at least 32/);
    expect(() => loadConfig({ JWT_SECRET: "short-secret" }, [])).not.toThrow(/short-secret/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(() => loadConfig({ JWT_SECRET: "s".repeat(32), JWT_PUBLIC_KEY: rsa }, [])).toThrow(/not both/);
  });

  it("parses NAMESPACES, COMPRESSION and the limits", () => {
    const config = loadConfig({ NAMESPACES: "/chat, /tenant-*,/", COMPRESSION: "off", PUBLISH_RATE: "5", MAX_ROOMS_PER_SOCKET: "3" }, []);
    expect(config.namespaces).toEqual(["/chat", "/tenant-*"]);
    expect(config.compression).toBe(false);
    expect(config.publishRate).toBe(5);
    expect(config.maxRoomsPerSocket).toBe(3);
    expect(() => loadConfig({ NAMESPACES: "chat" }, [])).toThrow(/NAMESPACES/);
    expect(() => loadConfig({ COMPRESSION: "maybe" }, [])).toThrow(/COMPRESSION.*on or off/);
  });
});

describe("invalid configuration at start", () => {
  const cases: Array<[string, Record<string, string>, string[], RegExp]> = [
    ["a port that is not a number", { PORT: "http" }, [], /PORT="http": must be a whole number/],
    ["a port out of range", { PORT: "70000" }, [], /PORT="70000": must be at most 65535/],
    ["zero workers", { WORKERS: "0" }, [], /WORKERS="0": must be at least 1/],
    ["an unknown engine", { ENGINE: "turbo" }, [], /ENGINE="turbo": must be one of auto, uws, node/],
    ["a bad flag value", {}, ["--workers", "many"], /--workers="many": must be a whole number/],
    ["a zero publish rate", { PUBLISH_RATE: "0" }, [], /PUBLISH_RATE="0": must be at least 1/],
    ["a public key that is not a PEM", { JWT_PUBLIC_KEY: "abc" }, [], /JWT_PUBLIC_KEY="abc": must be a PEM public key/],
    ["a namespace without a slash", { NAMESPACES: "chat" }, [], /NAMESPACES="chat": each namespace must start with \//],
  ];
  for (const [what, env, args, pattern] of cases) {
    it(`exits 2 naming the variable for ${what}, starting nothing`, async () => {
      const { code, output } = await runCli(env, args);
      expect(code).toBe(2);
      expect(output).toMatch(pattern);
      expect(output).toMatch(/invalid configuration/);
      expect(output).not.toMatch(/listening|ready:/);
    });
  }
});
