// The one place that reads the environment and the command line. Everything below
// receives a typed, validated Config; nothing else touches process.env.
import { availableParallelism } from "node:os";
import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { z } from "zod";

export const ENGINES = ["auto", "uws", "node"] as const;
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

export type EngineChoice = (typeof ENGINES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** Public port every worker listens on (SO_REUSEPORT). 0 lets the primary pick a free one. */
  port: number;
  /** Address of the public listener. */
  host: string;
  /** Number of worker processes. */
  workers: number;
  /** Origins allowed by CORS for the API and Socket.IO; ["*"] only when given explicitly. */
  corsOrigins: string[];
  /** Bearer key of the HTTP API; without it the API answers 403. */
  apiKey: string | undefined;
  logLevel: LogLevel;
  engine: EngineChoice;
  /** How long a shutdown waits for clients and requests to finish. */
  drainTimeoutMs: number;
  /** Largest HTTP request body the API accepts. */
  maxBodyBytes: number;
  /** Path of the Socket.IO endpoint. */
  socketPath: string;
}

/** One setting: its env name, its flag, and how to read it. */
interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  flag: string;
  description: string;
  schema: z.ZodType<Config[K]>;
  default: () => Config[K];
}

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const hostSchema = z
  .string()
  .trim()
  .refine(
    (h) => isIP(h) !== 0 || /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}))*$/.test(h),
    "must be an IP address or a host name",
  );

const originSchema = z.string().refine((o) => {
  if (o === "*") return true;
  try {
    const url = new URL(o);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === o;
  } catch {
    return false;
  }
}, "each origin must look like https://example.com (scheme, host and optional port, no path or trailing slash)");

const corsSchema = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((o) => o.trim())
      .filter((o) => o.length > 0),
  )
  .pipe(
    z
      .array(originSchema)
      .refine((list) => !list.includes("*") || list.length === 1, "`*` cannot be combined with other origins"),
  );

export const SETTINGS = [
  {
    key: "port",
    env: "PORT",
    flag: "port",
    description: "public port (0 picks a free one)",
    schema: integer(0, 65535),
    default: () => 3000,
  } satisfies Setting<"port">,
  {
    key: "host",
    env: "HOST",
    flag: "host",
    description: "address to listen on",
    schema: hostSchema,
    default: () => "0.0.0.0",
  } satisfies Setting<"host">,
  {
    key: "workers",
    env: "WORKERS",
    flag: "workers",
    description: "worker processes",
    schema: integer(1, 256),
    default: () => availableParallelism(),
  } satisfies Setting<"workers">,
  {
    key: "corsOrigins",
    env: "CORS_ORIGINS",
    flag: "cors-origins",
    description: "comma-separated allowed origins, or * explicitly",
    schema: corsSchema,
    default: () => [],
  } satisfies Setting<"corsOrigins">,
  {
    key: "apiKey",
    env: "API_KEY",
    flag: "api-key",
    description: "bearer key for /api (at least 16 characters)",
    schema: z.string().min(16, "must be at least 16 characters").optional(),
    default: () => undefined,
  } satisfies Setting<"apiKey">,
  {
    key: "logLevel",
    env: "LOG_LEVEL",
    flag: "log-level",
    description: LOG_LEVELS.join("|"),
    schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }),
    default: () => "info" as const,
  } satisfies Setting<"logLevel">,
  {
    key: "engine",
    env: "ENGINE",
    flag: "engine",
    description: ENGINES.join("|"),
    schema: z.enum(ENGINES, { error: `must be one of ${ENGINES.join(", ")}` }),
    default: () => "auto" as const,
  } satisfies Setting<"engine">,
  {
    key: "drainTimeoutMs",
    env: "DRAIN_TIMEOUT_MS",
    flag: "drain-timeout-ms",
    description: "shutdown drain timeout",
    schema: integer(0, 600_000),
    default: () => 10_000,
  } satisfies Setting<"drainTimeoutMs">,
  {
    key: "maxBodyBytes",
    env: "MAX_BODY_BYTES",
    flag: "max-body-bytes",
    description: "largest HTTP request body",
    schema: integer(1, 64 * 1024 * 1024),
    default: () => 1024 * 1024,
  } satisfies Setting<"maxBodyBytes">,
  {
    key: "socketPath",
    env: "SOCKET_PATH",
    flag: "socket-path",
    description: "Socket.IO path",
    schema: z.string().regex(/^\/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$/, "must start with / and not end with /"),
    default: () => "/socket.io",
  } satisfies Setting<"socketPath">,
] as const;

export class ConfigError extends Error {
  readonly code = "invalid_config";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

/**
 * Reads the configuration from the environment and the command line (a flag wins over
 * its env variable). Throws ConfigError naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv, argv: string[]): Config {
  const options = Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: "string" as const }]));
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError([`command line: ${(err as Error).message}`]);
  }

  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const fromFlag = flags[setting.flag];
    const raw = typeof fromFlag === "string" ? fromFlag : env[setting.env];
    const source = typeof fromFlag === "string" ? `--${setting.flag}` : setting.env;
    if (raw === undefined || (raw === "" && setting.key !== "corsOrigins")) {
      config[setting.key] = setting.default();
      continue;
    }
    const parsed = (setting.schema as z.ZodType).safeParse(raw);
    if (parsed.success) config[setting.key] = parsed.data;
    else problems.push(`${source}=${JSON.stringify(raw)}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as unknown as Config;
}

/** Validates a Config that crossed a process boundary (primary → worker). */
export const configSchema: z.ZodType<Config> = z.object({
  port: z.number().int().min(1).max(65535),
  host: hostSchema,
  workers: z.number().int().min(1).max(256),
  corsOrigins: z.array(originSchema),
  apiKey: z.string().min(16).optional(),
  logLevel: z.enum(LOG_LEVELS),
  engine: z.enum(ENGINES),
  drainTimeoutMs: z.number().int().min(0),
  maxBodyBytes: z.number().int().min(1),
  socketPath: z.string().startsWith("/"),
}) as z.ZodType<Config>;

/** What a usage line says about each setting. */
export function describeSettings(): string {
  return SETTINGS.map((s) => `  ${s.env.padEnd(18)} --${s.flag.padEnd(18)} ${s.description}`).join("\n");
}
