/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields of a log line. bigint values are written as decimal strings. */
export type LogFields = Record<string, unknown>;

/** A scoped, leveled, structured logger. Leaf modules take this shape as a component. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines name `component` (e.g. `agent:devnet`). */
  child(component: string): Logger;
}

/** Options of {@linkcode createLogger}. */
export type CreateLoggerOptions = {
  /** @default {"info"} */
  level?: LogLevel | undefined;
  /** `text` for people, `json` for log shippers (one JSON object a line). @default {"text"} */
  format?: "text" | "json" | undefined;
  /** Where lines go. @default {writes to stderr} */
  write?: ((line: string) => void) | undefined;
  /** The component name of this logger. @default {"agent"} */
  component?: string | undefined;
  /** The clock, for tests. @default {() => new Date()} */
  now?: (() => Date) | undefined;
};

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Field names whose values are never written: keys must not reach logs.
const SECRET_FIELD = /pass(word|phrase)?|secret|private|mnemonic|seed|^key$|token_?secret/i;

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/**
 * Creates a logger writing text or JSON lines. Fields whose names look like
 * secrets (passphrase, private key, mnemonic) are written as `[redacted]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "./logger.ts";
 * const lines: string[] = [];
 * const log = createLogger({ format: "json", write: (l) => lines.push(l) });
 * log.child("devnet").info("anvil is up", { port: 8545, passphrase: "hunter2" });
 * assert.ok(!lines[0]!.includes("hunter2"));
 * ```
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const {
    level = "info",
    format = "text",
    write = writeStderr,
    component = "agent",
    now = () => new Date(),
  } = options;
  const min = RANK[level];
  const emit = (lvl: LogLevel, message: string, fields: LogFields = {}): void => {
    if (RANK[lvl] < min) return;
    const clean = sanitize(fields);
    const time = now().toISOString();
    if (format === "json") {
      write(JSON.stringify({ time, level: lvl, component, msg: message, ...clean }));
      return;
    }
    const tail = Object.entries(clean).map(([k, v]) => ` ${k}=${textValue(v)}`).join("");
    write(`${time} ${lvl.toUpperCase().padEnd(5)} ${component}: ${message}${tail}`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (name) => createLogger({ ...options, component: `${component}:${name}` }),
  };
}

/**
 * The fields as a log line writes them: secret-looking names redacted,
 * bigints as decimal strings, errors as `Name: message`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sanitize } from "./logger.ts";
 * assert.deepEqual(sanitize({ passphrase: "x", n: 1n }), { passphrase: "[redacted]", n: "1" });
 * ```
 */
export function sanitize(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = SECRET_FIELD.test(key) ? "[redacted]" : plain(value);
  }
  return out;
}

function plain(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

function textValue(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}
