import type { DatabaseSync } from "node:sqlite";
import { type LogFields, type Logger, sanitize } from "../base/mod.ts";

/** Options of {@linkcode createErrorLog}. */
export type CreateErrorLogOptions = {
  /** Rows kept in `agent_errors` (the newest). @default {200} */
  keep?: number | undefined;
  /** The clock, for tests. @default {Date.now} */
  now?: (() => number) | undefined;
};

/** Counters the error log keeps in memory for `/metrics`. */
export type ErrorCounters = {
  /** Warnings and errors logged since start, by level. */
  warn: number;
  error: number;
  /** Of those, the ones caused by the chain's RPC endpoint (unreachable, HTTP error, timeout). */
  rpc: number;
  /** Of those, the ones caused by Docker (the daemon's socket down, an API error, a timeout). */
  docker: number;
  /**
   * Consumers' task requests the rig refused, by refusal code (`policy`, `bad-request`, ...):
   * their mistakes, logged at info, counted here rather than in the rig owner's errors.
   */
  refused: Record<string, number>;
};

/** One warning or error line as `agent_errors` keeps it (`at`: unix ms). */
export type ErrorRow = {
  at: number;
  level: "warn" | "error";
  component: string;
  message: string;
  /** The line's fields as JSON text (redacted when written). */
  fields: string;
};

/**
 * The newest `limit` warning and error lines, newest first (for `status` and
 * the page; works on a read-only connection from another process).
 */
export function recentErrorRows(db: DatabaseSync, limit: number): ErrorRow[] {
  const rows = db.prepare("SELECT * FROM agent_errors ORDER BY id DESC LIMIT ?").all(
    limit,
  ) as Record<string, unknown>[];
  return rows.map((r) => ({
    at: Number(r.at),
    level: r.level === "error" ? "error" : "warn",
    component: String(r.component),
    message: String(r.message),
    fields: String(r.fields),
  }));
}

/** A logger tap that keeps the agent's warnings and errors. */
export type ErrorLog = {
  /** Wraps `logger`: every line goes on to it; warnings and errors are also recorded. */
  wrap(logger: Logger, component?: string): Logger;
  /** Counts a consumer's request the rig refused (see {@linkcode ErrorCounters.refused}). */
  countRefusal(code: string): void;
  counters(): ErrorCounters;
};

// What a Docker failure looks like in a log line: its error classes, or their messages.
const DOCKER_FAILURE = /^Docker|^ImagePolicy|^ImageDigest|daemon socket|dockerd|docker daemon/i;
// What an RPC failure looks like in a log line's error text (viem's and fetch's messages).
const RPC_FAILURE = /rpc|http request failed|fetch failed|connection (refused|reset)|timed? ?out/i;

/** Which dependency a warning or error line blames: the chain's RPC, Docker, or neither. */
function blame(message: string, error: unknown): "rpc" | "docker" | undefined {
  // an error object names its class; a text only its message (Docker's are checked first:
  // a dead daemon socket reads "connection refused" too)
  const names: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    names.push(e.name, e.message);
  }
  const text = names.length > 0 ? names.join(" ") : String(error ?? "");
  if (names.some((n) => DOCKER_FAILURE.test(n)) || DOCKER_FAILURE.test(text)) return "docker";
  if (/cannot reach dockerd/.test(message)) return "docker";
  if (RPC_FAILURE.test(text) || /^Chain|cannot reach the chain|indexer poll failed/.test(message)) {
    return "rpc";
  }
  return undefined;
}

/**
 * Creates the error log over the `agent_errors` table (migration 0005_dash):
 * warnings and errors are written there (fields redacted as the logger does),
 * keeping the newest `keep` rows, so `sonm-agent status` and the dashboard
 * show them from another process. An info line with a `resolves` field (the
 * message of an earlier warning or error of the same component) says that
 * problem is over: its lines are dropped from the list. A failed write is
 * dropped, never thrown: logging must not stop the agent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createErrorLog } from "./error_log.ts";
 * import { createLogger } from "../base/mod.ts";
 * import { openState } from "./state.ts";
 * const state = openState({ path: ":memory:" });
 * const errors = createErrorLog(state.db);
 * const log = errors.wrap(createLogger({ write: () => {} }), "agent");
 * log.child("market").error("cannot bill deal", { error: "HTTP request failed" });
 * log.child("tasks").warn("task step failed", {
 *   error: 'Cannot GET "/containers/json": daemon socket "/var/run/docker.sock" failed: connection refused',
 * });
 * errors.countRefusal("policy");
 * assert.deepEqual(errors.counters(), { warn: 1, error: 1, rpc: 1, docker: 1, refused: { policy: 1 } });
 * state.close();
 * ```
 */
export function createErrorLog(db: DatabaseSync, options: CreateErrorLogOptions = {}): ErrorLog {
  const { keep = 200, now = Date.now } = options;
  const insert = db.prepare(
    "INSERT INTO agent_errors (at, level, component, message, fields) VALUES (?, ?, ?, ?, ?)",
  );
  const trim = db.prepare("DELETE FROM agent_errors WHERE id <= ? - ?");
  const resolve = db.prepare("DELETE FROM agent_errors WHERE component = ? AND message = ?");
  const counters: Omit<ErrorCounters, "refused"> = { warn: 0, error: 0, rpc: 0, docker: 0 };
  const refused = new Map<string, number>();

  function record(level: "warn" | "error", component: string, message: string, f?: LogFields) {
    counters[level]++;
    const fields = sanitize(f ?? {});
    const culprit = blame(message, f?.error);
    if (culprit !== undefined) counters[culprit]++;
    try {
      const { lastInsertRowid } = insert.run(
        now(),
        level,
        component,
        message,
        JSON.stringify(fields),
      );
      trim.run(lastInsertRowid, keep);
    } catch {
      // the database is closing or busy: the line still reached the logger
    }
  }

  function wrap(logger: Logger, component = "agent"): Logger {
    return {
      debug: (m, f) => logger.debug(m, f),
      info: (m, f) => {
        logger.info(m, f);
        // a line saying that an earlier problem is over drops that problem from the list
        if (typeof f?.resolves === "string") {
          try {
            resolve.run(component, f.resolves);
          } catch {
            // the database is closing or busy: the list catches up at the next one
          }
        }
      },
      warn: (m, f) => {
        logger.warn(m, f);
        record("warn", component, m, f);
      },
      error: (m, f) => {
        logger.error(m, f);
        record("error", component, m, f);
      },
      child: (name) => wrap(logger.child(name), `${component}:${name}`),
    };
  }
  return {
    wrap,
    countRefusal: (code) => void refused.set(code, (refused.get(code) ?? 0) + 1),
    counters: () => ({ ...counters, refused: Object.fromEntries(refused) }),
  };
}
