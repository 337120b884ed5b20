/**
 * The crash tests' hook: with `SONM_TEST_KILL_AT=<point>` in the environment,
 * the agent SIGKILLs itself when it reaches that point (no cleanup, no
 * flush beyond what sqlite already committed), so a test can prove that a
 * restart from there converges. Unset, a point costs one env lookup.
 *
 * The points, in the order a deal's life reaches them:
 *
 * | point | where |
 * | --- | --- |
 * | `ask-placed` | an ASK's transaction is mined, before it is recorded |
 * | `deal-sent` | `openDeal` is sent, before its receipt |
 * | `deal-opened` | a deal's receipt arrived, before anything else |
 * | `task-accepted` | a task request is journaled, before any container call |
 * | `container-created` | the container exists (id journaled), before it starts |
 * | `container-started` | the container runs, before `running` is journaled |
 * | `bill-sent` | a bill is sent, before its receipt |
 * | `billed` | a bill's receipt arrived |
 * | `deal-closed` | a deal was closed on chain, before its task is stopped |
 * | `task-stop-journaled` | a task's end is journaled, before its container is removed |
 * | `container-removed` | a closed deal's container is removed, before its network and volume |
 * | `ask-cancelled` | an ASK's cancel is mined, before it is recorded |
 *
 * @module
 */

/** The environment variable that names the point to die at. */
export const KILL_AT_ENV = "SONM_TEST_KILL_AT";

/** Every kill point, for the crash tests' table. */
export const KILL_POINTS = [
  "ask-placed",
  "deal-sent",
  "deal-opened",
  "task-accepted",
  "container-created",
  "container-started",
  "bill-sent",
  "billed",
  "deal-closed",
  "task-stop-journaled",
  "container-removed",
  "ask-cancelled",
] as const;

/** A kill point's name. */
export type KillPoint = (typeof KILL_POINTS)[number];

/**
 * Kills the agent's process with SIGKILL when `SONM_TEST_KILL_AT` names this
 * point; otherwise does nothing.
 *
 * @example
 * ```ts
 * import { killPoint } from "./kill_point.ts";
 * killPoint("ask-placed"); // no-op unless SONM_TEST_KILL_AT=ask-placed
 * ```
 */
export function killPoint(point: KillPoint): void {
  let wanted: string | undefined;
  try {
    wanted = Deno.env.get(KILL_AT_ENV);
  } catch {
    return; // no env permission: never a test run
  }
  if (wanted === point) Deno.kill(Deno.pid, "SIGKILL");
}
