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
 * | `ask-sent` | an ASK's `placeOrder` is sent, before its receipt |
 * | `ask-placed` | an ASK's transaction is mined, before it is recorded |
 * | `deal-sent` | `openDeal` is sent, before its receipt |
 * | `deal-opened` | a deal's receipt arrived, before anything else |
 * | `task-accepted` | a task request is journaled, before any container call |
 * | `container-created` | the container exists (id journaled), before it starts |
 * | `container-started` | the container runs, before `running` is journaled |
 * | `bill-sent` | a bill is sent, before its receipt |
 * | `billed` | a bill's receipt arrived, before the next step |
 * | `deal-closed` | the reconciler found a deal closed on chain, before it journals the task's end |
 * | `task-stop-journaled` | a task's end is journaled, before its container is removed |
 * | `container-removed` | a closed deal's container is removed, before its network and volume |
 * | `ask-cancelled` | an ASK's cancel is sent, before its receipt |
 *
 * @module
 */

/** The environment variable that names the point to die at. */
export const KILL_AT_ENV = "SONM_TEST_KILL_AT";

/** Every kill point, for the crash tests' table. */
export const KILL_POINTS = [
  "ask-sent",
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

/** The kill point of a transaction sent, by the market function it calls. */
const SENT_POINTS: Record<string, KillPoint> = {
  placeOrder: "ask-sent",
  openDeal: "deal-sent",
  bill: "bill-sent",
  cancelOrder: "ask-cancelled",
};

/** What a sender's call tells once its transaction is in the pool. */
type OnSent = ((tx: { hash: `0x${string}`; nonce: bigint }) => void) | undefined;
/** A transaction sender, as far as the kill points need it. */
type Sender = {
  writeContract(params: { functionName: string; onSent?: OnSent }): Promise<unknown>;
};
/** A nonce store, as far as the kill points need it. */
type Nonces<E> = {
  loadNonce(address: `0x${string}`): E | undefined;
  saveNonce(address: `0x${string}`, entry: E): void;
};

/**
 * Kill points between a transaction's send and its receipt: a wrapper of the
 * sender that dies, when asked to, right after the node accepted a market
 * call's transaction (its nonce already stored), before its receipt. Calls
 * may overlap (pipelined deals): each carries its own function name.
 *
 * @example
 * ```ts ignore
 * const points = txKillPoints(store);
 * const sender = points.wrap(createTxSender(chain, { account, nonceStore: points.nonceStore }));
 * ```
 */
export function txKillPoints<E>(store: Nonces<E>): {
  nonceStore: Nonces<E>;
  wrap<S extends Sender>(sender: S): S;
} {
  return {
    nonceStore: store,
    wrap<S extends Sender>(sender: S): S {
      return {
        ...sender,
        writeContract(params: { functionName: string; onSent?: OnSent }) {
          const point = SENT_POINTS[params.functionName];
          return sender.writeContract({
            ...params,
            onSent: (tx) => {
              params.onSent?.(tx);
              if (point !== undefined) killPoint(point);
            },
          });
        },
      } as S;
    },
  };
}

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
