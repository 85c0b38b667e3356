// A small leveled logger: one line per event, `time LEVEL [component] message {fields}`.
// Each module creates its own child (like socket.io's debug namespaces), so a reader of the
// log knows which part spoke.
import type { LogLevel } from "./config.js";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

let threshold = ORDER.info;

export function setLogLevel(level: LogLevel): void {
  threshold = ORDER[level];
}

function write(level: Exclude<LogLevel, "silent">, component: string, message: string, fields?: Record<string, unknown>) {
  if (ORDER[level] < threshold) return;
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${component}] ${message}`;
  if (fields && Object.keys(fields).length > 0) line += ` ${safeJson(fields)}`;
  (level === "warn" || level === "error" ? process.stderr : process.stdout).write(line + "\n");
}

function safeJson(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_k, v) => (v instanceof Error ? { name: v.name, message: v.message } : v));
  } catch {
    return "{\"unserializable\":true}";
  }
}

export function createLogger(component: string): Logger {
  return {
    debug: (m, f) => write("debug", component, m, f),
    info: (m, f) => write("info", component, m, f),
    warn: (m, f) => write("warn", component, m, f),
    error: (m, f) => write("error", component, m, f),
    child: (name) => createLogger(`${component}:${name}`),
  };
}
