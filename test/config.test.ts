// Configuration: defaults, flags over env, and refusals that name the variable.
import { describe, expect, it } from "vitest";
import { availableParallelism } from "node:os";
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

describe("invalid configuration at start", () => {
  const cases: Array<[string, Record<string, string>, string[], RegExp]> = [
    ["a port that is not a number", { PORT: "http" }, [], /PORT="http": must be a whole number/],
    ["a port out of range", { PORT: "70000" }, [], /PORT="70000": must be at most 65535/],
    ["zero workers", { WORKERS: "0" }, [], /WORKERS="0": must be at least 1/],
    ["an unknown engine", { ENGINE: "turbo" }, [], /ENGINE="turbo": must be one of auto, uws, node/],
    ["a bad flag value", {}, ["--workers", "many"], /--workers="many": must be a whole number/],
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
