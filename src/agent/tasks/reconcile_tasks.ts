import type { TaskRow } from "../state/mod.ts";

/** A task container as Docker reports it (found by its `sonm.*` labels). */
export type TaskContainer = {
  containerId: string;
  dealId: string;
  taskId: string;
  image: string;
  running: boolean;
  /** Docker's state: `created`, `running`, `exited`, ... */
  state: string;
};

/** What {@linkcode reconcileTasks} decides from. */
export type ReconcileTasksInput = {
  /** This agent's open deals (decimal ids), as the chain says. */
  openDeals: ReadonlySet<string>;
  /** The journal's rows that matter: unfinished ones, and those of containers found. */
  rows: readonly TaskRow[];
  /** This agent's task containers. */
  containers: readonly TaskContainer[];
  /** Also remove networks and volumes of closed deals (at start, or when a deal closed). */
  collect: boolean;
};

/** One step of converging, in the order to carry them out. */
export type TaskAction =
  /** Journal a task's end (before its container goes). */
  | { kind: "finish"; dealId: bigint; taskId: number; state: "stopped" | "failed"; message: string }
  /**
   * A container that ran and stopped: read its exit code / OOM, then journal
   * the consumer's exit or restart a task the rig lost (see classifyTaskEnd).
   */
  | { kind: "record-exit"; dealId: bigint; taskId: number; containerId: string }
  /** A running task whose container is gone (removed from outside, host rebooted): the rig lost it. */
  | { kind: "lost"; dealId: bigint; taskId: number; containerId?: string | undefined }
  /** A running container whose start was not journaled yet. */
  | { kind: "mark-running"; dealId: bigint; taskId: number; containerId: string }
  /** A labelled container the journal lacks (state lost) on an open deal: journal it. */
  | { kind: "adopt"; container: TaskContainer }
  /** Remove a container (its deal closed, or its task was stopped). */
  | { kind: "remove"; containerId: string; dealId: string; reason: string }
  /** (Re)start a journaled task whose container is missing or never started. */
  | { kind: "start"; dealId: bigint; taskId: number }
  /** Remove networks and volumes of deals that are not open. */
  | { kind: "collect" };

const key = (dealId: string | bigint, taskId: string | number) => `${dealId}/${taskId}`;

/**
 * The deal -> task decision table, pure. For each task (journal row R,
 * container C, deal D):
 *
 * | D | R | C | actions |
 * | --- | --- | --- | --- |
 * | closed | starting / running | any | finish (stopped: "deal closed"), remove C |
 * | closed | finished / none | exists | remove C |
 * | open | none | exists | adopt C |
 * | open | starting | running | mark-running |
 * | open | starting | not running / none | start (again) |
 * | open | running | stopped | record-exit (the consumer's exit, or the rig's loss) |
 * | open | running | none | lost (restarted within its budget) |
 * | open | stopped / failed | exists | remove C |
 * | open | exited / oom-killed | exists | keep (the consumer reads its logs) |
 *
 * then `collect` when asked. Finishes come first (journaled before removals),
 * then exits, adoptions, removals, starts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reconcileTasks } from "./reconcile_tasks.ts";
 * const actions = reconcileTasks({
 *   openDeals: new Set(),
 *   rows: [],
 *   containers: [{ containerId: "c1", dealId: "7", taskId: "1", image: "x", running: true, state: "running" }],
 *   collect: true,
 * });
 * assert.deepEqual(actions.map((a) => a.kind), ["remove", "collect"]);
 * ```
 */
export function reconcileTasks(input: ReconcileTasksInput): TaskAction[] {
  const { openDeals, rows, containers } = input;
  const finishes: TaskAction[] = [];
  const records: TaskAction[] = [];
  const removes: TaskAction[] = [];
  const starts: TaskAction[] = [];
  const rowOf = new Map(rows.map((r) => [key(r.dealId, r.taskId), r]));
  const containersOf = new Map<string, TaskContainer[]>();
  for (const c of containers) {
    const k = key(c.dealId, c.taskId);
    containersOf.set(k, [...(containersOf.get(k) ?? []), c]);
  }
  const active = (r: TaskRow) => r.state === "starting" || r.state === "running";

  for (const r of rows) {
    const open = openDeals.has(r.dealId.toString());
    const found = containersOf.get(key(r.dealId, r.taskId)) ?? [];
    if (!active(r)) continue;
    if (!open) {
      finishes.push({ ...ids(r), kind: "finish", state: "stopped", message: "deal closed" });
    } else if (r.state === "starting") {
      const running = found.find((c) => c.running);
      if (running !== undefined) {
        records.push({ ...ids(r), kind: "mark-running", containerId: running.containerId });
      } else starts.push({ ...ids(r), kind: "start" });
    } else if (found.length === 0) {
      records.push({ ...ids(r), kind: "lost", containerId: r.containerId });
    } else if (!found.some((c) => c.running)) {
      records.push({ ...ids(r), kind: "record-exit", containerId: found[0]!.containerId });
    }
  }

  for (const c of containers) {
    const r = rowOf.get(key(c.dealId, c.taskId));
    const open = openDeals.has(c.dealId);
    if (!open) {
      removes.push({
        kind: "remove",
        containerId: c.containerId,
        dealId: c.dealId,
        reason: "deal closed",
      });
    } else if (r === undefined) {
      records.push({ kind: "adopt", container: c });
    } else if (r.state === "stopped" || r.state === "failed") {
      removes.push({
        kind: "remove",
        containerId: c.containerId,
        dealId: c.dealId,
        reason: `task ${r.state}`,
      });
    }
  }
  const out = [...finishes, ...records, ...removes, ...starts];
  if (input.collect) out.push({ kind: "collect" });
  return out;
}

function ids(r: TaskRow): { dealId: bigint; taskId: number } {
  return { dealId: r.dealId, taskId: r.taskId };
}
