/**
 * The `tasks` and `request_nonces` tables (migration 0008_workloads): the
 * journal of the deal -> task life and the task protocol's replay guard.
 * Owner: the task handler and the task reconciler; `sonm-agent status` and
 * the dashboard read it.
 *
 * @module
 */
import { inTransaction } from "./transaction.ts";
import type { DatabaseSync } from "node:sqlite";
import { migrationAppliedAt } from "./state.ts";

/** A task's state, as the consumer sees it (`TaskStatus.state` of the task protocol). */
export type TaskState = "starting" | "running" | "exited" | "oom-killed" | "failed" | "stopped";

/** States after which a task never runs again. */
export const FINISHED_TASK_STATES: ReadonlySet<TaskState> = new Set([
  "exited",
  "oom-killed",
  "failed",
  "stopped",
]);

/** A published port of a task. */
export type TaskPort = { containerPort: number; protocol: "tcp" | "udp"; hostPort: number };

/** One row of `tasks`. */
export type TaskRow = {
  dealId: bigint;
  taskId: number;
  /** The consumer's task spec (JSON text, as accepted). */
  spec: string;
  image: string;
  containerId: string | undefined;
  state: TaskState;
  exitCode: number | undefined;
  message: string | undefined;
  ports: TaskPort[];
  /** Unix ms. */
  createdAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
};

/** What a request's nonce is kept with. */
export type NonceRecord = {
  signer: string;
  nonce: bigint;
  action: string;
  dealId: bigint;
  expiry: bigint;
};

/** The tables' operations. Every write is one statement or one transaction. */
export type TasksTable = {
  /** Every task, newest first (optionally of one deal). */
  list(options?: { dealId?: bigint | undefined }): TaskRow[];
  get(dealId: bigint, taskId: number): TaskRow | undefined;
  /** The deal's newest task. */
  latest(dealId: bigint): TaskRow | undefined;
  /** Tasks not finished (starting or running). */
  active(): TaskRow[];
  /** Whether the signer used this nonce before. */
  nonceSeen(signer: string, nonce: bigint): boolean;
  /**
   * Records an accepted request's nonce and, for a submit, journals the new
   * task (state `starting`) in the same transaction. Throws when the nonce
   * was seen (a concurrent replay).
   */
  accept(request: NonceRecord, task?: { spec: string; image: string }, now?: number): {
    taskId: number | undefined;
  };
  /** Forgets an accepted request again (its action was refused after all). */
  undoAccept(request: NonceRecord, taskId: number | undefined): void;
  /** Journals a task to (re)start, e.g. a row adopted from a labelled container. */
  insert(row: Omit<TaskRow, "ports"> & { ports?: TaskPort[] | undefined }): void;
  setContainer(dealId: bigint, taskId: number, containerId: string): void;
  markRunning(
    dealId: bigint,
    taskId: number,
    fields: { containerId: string; ports: TaskPort[]; startedAt: number },
  ): void;
  /** Ends a task (once: a finished task keeps its first end). */
  finish(
    dealId: bigint,
    taskId: number,
    fields: { state: TaskState; exitCode?: number | undefined; message: string; at: number },
  ): boolean;
  /** Drops nonces whose requests expired before `nowSeconds` (they can no longer be replayed). */
  pruneNonces(nowSeconds: bigint): number;
  /**
   * Journals a restart of a running task the rig lost (its container gone or
   * killed from outside): back to `starting`, with `message` saying why.
   * False when the task was not running.
   */
  restart(dealId: bigint, taskId: number, message: string): boolean;
  /** Forgets every task and nonce (a new devnet chain: these deal ids name nothing any more). */
  clear(): void;
  /**
   * Unix seconds from which the nonce record is complete: when this state's
   * `request_nonces` table was created (a lost state's record is gone with it).
   */
  noncesRecordedSince(): bigint;
};

type Row = Record<string, unknown>;

/**
 * The newest `limit` tasks, newest first (for `status` and the page; works on
 * a read-only connection from another process).
 */
export function recentTasks(db: DatabaseSync, limit: number): TaskRow[] {
  return (db.prepare("SELECT * FROM tasks ORDER BY created_at DESC LIMIT ?").all(limit) as Row[])
    .map(toTask);
}

function toTask(r: Row): TaskRow {
  const opt = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));
  return {
    dealId: BigInt(r.deal_id as bigint),
    taskId: Number(r.task_id),
    spec: String(r.spec),
    image: String(r.image),
    containerId: r.container_id === null ? undefined : String(r.container_id),
    state: r.state as TaskState,
    exitCode: opt(r.exit_code),
    message: r.message === null ? undefined : String(r.message),
    ports: JSON.parse(String(r.ports)) as TaskPort[],
    createdAt: Number(r.created_at),
    startedAt: opt(r.started_at),
    finishedAt: opt(r.finished_at),
  };
}

/**
 * Opens the tables over the agent's state database.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openState } from "./state.ts";
 * import { tasksTable } from "./tasks_table.ts";
 * const state = openState({ path: ":memory:" });
 * const tasks = tasksTable(state.db);
 * const req = { signer: "0xab", nonce: 1n, action: "submit", dealId: 7n, expiry: 99n };
 * const { taskId } = tasks.accept(req, { spec: "{}", image: "busybox" }, 1);
 * assert.equal(taskId, 1);
 * assert.equal(tasks.nonceSeen("0xAB", 1n), true);
 * assert.equal(tasks.get(7n, 1)?.state, "starting");
 * state.close();
 * ```
 */
export function tasksTable(db: DatabaseSync): TasksTable {
  const q = {
    list: db.prepare("SELECT * FROM tasks ORDER BY created_at DESC, deal_id DESC, task_id DESC"),
    listDeal: db.prepare("SELECT * FROM tasks WHERE deal_id = ? ORDER BY task_id DESC"),
    get: db.prepare("SELECT * FROM tasks WHERE deal_id = ? AND task_id = ?"),
    active: db.prepare(
      "SELECT * FROM tasks WHERE state IN ('starting', 'running') ORDER BY deal_id, task_id",
    ),
    nextId: db.prepare("SELECT COALESCE(MAX(task_id), 0) + 1 AS next FROM tasks WHERE deal_id = ?"),
    nonce: db.prepare("SELECT 1 AS seen FROM request_nonces WHERE signer = ? AND nonce = ?"),
    addNonce: db.prepare(
      `INSERT INTO request_nonces (signer, nonce, action, deal_id, expiry, seen_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    delNonce: db.prepare("DELETE FROM request_nonces WHERE signer = ? AND nonce = ?"),
    insert: db.prepare(
      `INSERT INTO tasks (deal_id, task_id, spec, image, container_id, state, exit_code, message,
         ports, created_at, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    del: db.prepare("DELETE FROM tasks WHERE deal_id = ? AND task_id = ?"),
    setContainer: db.prepare(
      "UPDATE tasks SET container_id = ? WHERE deal_id = ? AND task_id = ?",
    ),
    running: db.prepare(
      `UPDATE tasks SET state = 'running', container_id = ?, ports = ?, started_at = ?
       WHERE deal_id = ? AND task_id = ? AND state IN ('starting', 'running')`,
    ),
    finish: db.prepare(
      `UPDATE tasks SET state = ?, exit_code = ?, message = ?, finished_at = ?
       WHERE deal_id = ? AND task_id = ? AND state IN ('starting', 'running')`,
    ),
    prune: db.prepare("DELETE FROM request_nonces WHERE expiry < ?"),
    restart: db.prepare(
      `UPDATE tasks SET state = 'starting', message = ?, exit_code = NULL, finished_at = NULL
       WHERE deal_id = ? AND task_id = ? AND state = 'running'`,
    ),
  };
  const lower = (s: string) => s.toLowerCase();
  const transaction = <T>(fn: () => T): T => inTransaction(db, fn);
  return {
    list: (options = {}) =>
      (options.dealId === undefined ? q.list.all() : q.listDeal.all(options.dealId) as Row[])
        .map((r) => toTask(r as Row)),
    get: (dealId, taskId) => {
      const r = q.get.get(dealId, taskId) as Row | undefined;
      return r === undefined ? undefined : toTask(r);
    },
    latest: (dealId) => {
      const r = q.listDeal.get(dealId) as Row | undefined;
      return r === undefined ? undefined : toTask(r);
    },
    active: () => (q.active.all() as Row[]).map(toTask),
    nonceSeen: (signer, nonce) => q.nonce.get(lower(signer), nonce.toString()) !== undefined,
    accept: (request, task, now = Date.now()) =>
      transaction(() => {
        q.addNonce.run(
          lower(request.signer),
          request.nonce.toString(),
          request.action,
          request.dealId.toString(),
          request.expiry,
          now,
        );
        if (task === undefined) return { taskId: undefined };
        const { next } = q.nextId.get(request.dealId) as { next: bigint };
        const taskId = Number(next);
        q.insert.run(
          request.dealId,
          taskId,
          task.spec,
          task.image,
          null,
          "starting",
          null,
          null,
          "[]",
          now,
          null,
          null,
        );
        return { taskId };
      }),
    undoAccept: (request, taskId) =>
      transaction(() => {
        q.delNonce.run(lower(request.signer), request.nonce.toString());
        if (taskId !== undefined) q.del.run(request.dealId, taskId);
      }),
    insert: (row) =>
      void q.insert.run(
        row.dealId,
        row.taskId,
        row.spec,
        row.image,
        row.containerId ?? null,
        row.state,
        row.exitCode ?? null,
        row.message ?? null,
        JSON.stringify(row.ports ?? []),
        row.createdAt,
        row.startedAt ?? null,
        row.finishedAt ?? null,
      ),
    setContainer: (dealId, taskId, containerId) =>
      void q.setContainer.run(containerId, dealId, taskId),
    markRunning: (dealId, taskId, f) =>
      void q.running.run(f.containerId, JSON.stringify(f.ports), f.startedAt, dealId, taskId),
    finish: (dealId, taskId, f) =>
      Number(q.finish.run(f.state, f.exitCode ?? null, f.message, f.at, dealId, taskId).changes) >
        0,
    pruneNonces: (nowSeconds) => Number(q.prune.run(nowSeconds).changes),
    restart: (dealId, taskId, message) =>
      Number(q.restart.run(message, dealId, taskId).changes) > 0,
    clear: () => transaction(() => db.exec("DELETE FROM tasks; DELETE FROM request_nonces")),
    noncesRecordedSince: () =>
      BigInt(Math.floor((migrationAppliedAt(db, NONCES_MIGRATION) ?? Date.now()) / 1000)),
  };
}

/** The migration that created `request_nonces` (0008_workloads). */
const NONCES_MIGRATION = 8;
