// The one place that reads the environment and the command line. Everything below
// receives a typed, validated Config; nothing else touches process.env.
import { availableParallelism } from "node:os";
import { isIP } from "node:net";
import { createPublicKey } from "node:crypto";
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
  /** HS256 secret for client tokens; with neither this nor jwtPublicKey the server runs anonymous. */
  jwtSecret: string | undefined;
  /** RS256/ES256 public key (PEM) for client tokens. */
  jwtPublicKey: string | undefined;
  /** Largest `data` of one publish, in bytes of its JSON. */
  maxMessageBytes: number;
  /** Publishes per second a socket may sustain (token bucket refill rate). */
  publishRate: number;
  /** Publishes a socket may send at once before the rate applies (token bucket size). */
  publishBurst: number;
  /** Rooms one socket may be in, not counting its own user room. */
  maxRoomsPerSocket: number;
  /** How long a publish id is remembered to drop a repeated publish. */
  idempotencyWindowMs: number;
  /** permessage-deflate on websocket and gzip/deflate on polling, above compressionThreshold. */
  compression: boolean;
  compressionThreshold: number;
  /** Namespaces served besides "/": exact names and globs like /tenant-*. */
  namespaces: string[];
}

/** One setting: its env name, its flag, and how to read it. */
interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  flag: string;
  description: string;
  schema: z.ZodType<Config[K]>;
  default: () => Config[K];
  /** Never echoed in error messages. */
  secret?: boolean;
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

// Env vars often carry a PEM on one line with literal "\n"; both forms are accepted.
const pemPublicKeySchema = z
  .string()
  .transform((s) => s.replace(/\\n/g, "\n").trim() + "\n")
  .refine((pem) => {
    try {
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType === "rsa") return true;
      return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1";
    } catch {
      return false;
    }
  }, "must be a PEM public key (-----BEGIN PUBLIC KEY-----), RSA for RS256 or EC P-256 for ES256");

const onOffSchema = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ["on", "off", "true", "false", "1", "0"].includes(v), "must be on or off")
  .transform((v) => v === "on" || v === "true" || v === "1");

/** A namespace name: "/" then letters, digits, - _ . and / ; "*" makes it a glob. */
export const namespaceEntrySchema = z
  .string()
  .regex(/^\/[A-Za-z0-9._~*/-]*$/, "each namespace must start with / and use letters, digits, - _ . ~ / and * only");

const namespacesSchema = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((n) => n.trim())
      .filter((n) => n.length > 0 && n !== "/"),
  )
  .pipe(z.array(namespaceEntrySchema));

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
    secret: true,
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
  {
    key: "jwtSecret",
    env: "JWT_SECRET",
    flag: "jwt-secret",
    description: "HS256 secret for client tokens (at least 32 characters)",
    schema: z.string().min(32, "must be at least 32 characters (256 bits, as HS256 needs)").optional(),
    default: () => undefined,
    secret: true,
  } satisfies Setting<"jwtSecret">,
  {
    key: "jwtPublicKey",
    env: "JWT_PUBLIC_KEY",
    flag: "jwt-public-key",
    description: "RS256/ES256 public key for client tokens (PEM; literal \\n allowed)",
    schema: pemPublicKeySchema.optional(),
    default: () => undefined,
  } satisfies Setting<"jwtPublicKey">,
  {
    key: "maxMessageBytes",
    env: "MAX_MESSAGE_BYTES",
    flag: "max-message-bytes",
    description: "largest publish data (bytes of JSON)",
    schema: integer(1, 16 * 1024 * 1024),
    default: () => 64 * 1024,
  } satisfies Setting<"maxMessageBytes">,
  {
    key: "publishRate",
    env: "PUBLISH_RATE",
    flag: "publish-rate",
    description: "publishes per second per socket",
    schema: integer(1, 1_000_000),
    default: () => 20,
  } satisfies Setting<"publishRate">,
  {
    key: "publishBurst",
    env: "PUBLISH_BURST",
    flag: "publish-burst",
    description: "publishes a socket may burst",
    schema: integer(1, 1_000_000),
    default: () => 40,
  } satisfies Setting<"publishBurst">,
  {
    key: "maxRoomsPerSocket",
    env: "MAX_ROOMS_PER_SOCKET",
    flag: "max-rooms-per-socket",
    description: "rooms one socket may join",
    schema: integer(1, 100_000),
    default: () => 100,
  } satisfies Setting<"maxRoomsPerSocket">,
  {
    key: "idempotencyWindowMs",
    env: "IDEMPOTENCY_WINDOW_MS",
    flag: "idempotency-window-ms",
    description: "how long a publish id is remembered",
    schema: integer(1_000, 3_600_000),
    default: () => 60_000,
  } satisfies Setting<"idempotencyWindowMs">,
  {
    key: "compression",
    env: "COMPRESSION",
    flag: "compression",
    description: "on|off: permessage-deflate and HTTP compression",
    schema: onOffSchema,
    default: () => true,
  } satisfies Setting<"compression">,
  {
    key: "compressionThreshold",
    env: "COMPRESSION_THRESHOLD",
    flag: "compression-threshold",
    description: "smallest packet (bytes) that is compressed",
    schema: integer(0, 64 * 1024 * 1024),
    default: () => 1024,
  } satisfies Setting<"compressionThreshold">,
  {
    key: "namespaces",
    env: "NAMESPACES",
    flag: "namespaces",
    description: "comma-separated extra namespaces, globs allowed (/chat,/tenant-*)",
    schema: namespacesSchema,
    default: () => [],
  } satisfies Setting<"namespaces">,
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
    if (raw === undefined || (raw === "" && setting.key !== "corsOrigins" && setting.key !== "namespaces")) {
      config[setting.key] = setting.default();
      continue;
    }
    const parsed = (setting.schema as z.ZodType).safeParse(raw);
    if (parsed.success) config[setting.key] = parsed.data;
    else {
      const shown = "secret" in setting && setting.secret ? "(hidden)" : JSON.stringify(raw);
      problems.push(`${source}=${shown}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
    }
  }
  if (config.jwtSecret !== undefined && config.jwtPublicKey !== undefined) {
    // One verification key means one algorithm family: no chance of algorithm confusion.
    problems.push("JWT_SECRET and JWT_PUBLIC_KEY: set one of them, not both");
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
  jwtSecret: z.string().min(32).optional(),
  jwtPublicKey: z.string().optional(),
  maxMessageBytes: z.number().int().min(1),
  publishRate: z.number().int().min(1),
  publishBurst: z.number().int().min(1),
  maxRoomsPerSocket: z.number().int().min(1),
  idempotencyWindowMs: z.number().int().min(1),
  compression: z.boolean(),
  compressionThreshold: z.number().int().min(0),
  namespaces: z.array(namespaceEntrySchema),
}) as z.ZodType<Config>;

/** What a usage line says about each setting. */
export function describeSettings(): string {
  return SETTINGS.map((s) => `  ${s.env.padEnd(22)} --${s.flag.padEnd(22)} ${s.description}`).join("\n");
}
