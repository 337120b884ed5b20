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
  /** The least level written; a function is read at each line (a config reload changes it). @default {"info"} */
  level?: LogLevel | (() => LogLevel) | undefined;
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
 * secrets (passphrase, private key, mnemonic) are written as `[redacted]` at
 * any depth; bigints as decimal strings at any depth; an error with its
 * cause chain; byte arrays never (they may hold key material).
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
  const min = typeof level === "function" ? () => RANK[level()] : () => RANK[level];
  const emit = (lvl: LogLevel, message: string, fields: LogFields = {}): void => {
    if (RANK[lvl] < min()) return;
    const clean = sanitize(fields, format === "json" ? "object" : "text");
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

/** Past this depth a value is written as `[...]`: log fields are small. */
const MAX_DEPTH = 6;

/**
 * The fields as a log line writes them: secret-looking names redacted at any
 * depth, bigints as decimal strings, errors with their cause chain.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sanitize } from "./logger.ts";
 * assert.deepEqual(sanitize({ passphrase: "x", n: 1n }), { passphrase: "[redacted]", n: "1" });
 * ```
 */
export function sanitize(
  fields: LogFields,
  errors: "object" | "text" = "object",
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = plain(key, value, { errors, depth: 0, seen: new Set() });
  }
  return out;
}

type PlainContext = { errors: "object" | "text"; depth: number; seen: Set<object> };

/**
 * A log field as plain JSON data: bigints as decimal strings at any depth,
 * secret-named fields redacted at any depth, errors with their cause chain,
 * bytes never written (they may be key material), cycles and depth bounded.
 */
function plain(key: string, value: unknown, c: PlainContext): unknown {
  if (SECRET_FIELD.test(key)) return "[redacted]";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function" || typeof value === "symbol") return `[${typeof value}]`;
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    return `[${value.byteLength} bytes]`;
  }
  if (value instanceof Date) return value.toISOString();
  if (c.seen.has(value)) return "[Circular]";
  if (c.depth >= MAX_DEPTH) return "[...]";
  const inner = { ...c, depth: c.depth + 1, seen: new Set([...c.seen, value]) };
  if (value instanceof Error) return errorValue(value, inner);
  if (Array.isArray(value)) return value.map((v) => plain("", v, inner));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = plain(k, v, inner);
  return out;
}

/** An error with its cause chain: `{ name, message, cause }`, or one line for text logs. */
function errorValue(error: Error, c: PlainContext): unknown {
  const cause = error.cause === undefined ? undefined : plain("cause", error.cause, c);
  if (c.errors === "object") {
    return { name: error.name, message: error.message, ...(cause === undefined ? {} : { cause }) };
  }
  const head = `${error.name}: ${error.message}`;
  if (cause === undefined) return head;
  return `${head}; caused by ${typeof cause === "string" ? cause : JSON.stringify(cause)}`;
}

function textValue(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}
