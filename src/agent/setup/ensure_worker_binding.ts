import {
  masterOf,
  pendingMasterOf,
  registerWorker,
  type WriteMarketClient,
} from "../../chain/mod.ts";
import { AgentError } from "../../errors.ts";
import type { Logger } from "../base/mod.ts";

const ZERO = "0x0000000000000000000000000000000000000000";

/** Where a worker stands with the master of its config. */
export type BindingState = {
  /** The configured master. */
  master: string;
  /** `masterOf(worker)`: the worker itself when it has no confirmed master. */
  confirmed: string;
  /** `pendingMasterOf(worker)`: zero when it asked no one. */
  pending: string;
  worker: string;
};

/** What to do about the binding. */
export type BindingDecision = "bound" | "wait" | "register" | "bound-elsewhere";

/**
 * Decides about the worker binding (pure): `bound` when the configured
 * master confirmed this worker; `wait` when it asked that master and waits
 * for its confirmation; `bound-elsewhere` when another master confirmed it
 * (it must be removed there first: bindings are one hop); `register`
 * otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decideBinding } from "./ensure_worker_binding.ts";
 * const w = "0x00000000000000000000000000000000000000aa";
 * const m = "0x00000000000000000000000000000000000000bb";
 * const zero = "0x0000000000000000000000000000000000000000";
 * assert.equal(decideBinding({ master: m, confirmed: w, pending: zero, worker: w }), "register");
 * assert.equal(decideBinding({ master: m, confirmed: w, pending: m, worker: w }), "wait");
 * assert.equal(decideBinding({ master: m, confirmed: m, pending: zero, worker: w }), "bound");
 * ```
 */
export function decideBinding(state: BindingState): BindingDecision {
  const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (eq(state.confirmed, state.master)) return "bound";
  if (!eq(state.confirmed, state.worker) && !eq(state.confirmed, ZERO)) return "bound-elsewhere";
  if (eq(state.pending, state.master)) return "wait";
  return "register";
}

/**
 * The exact steps the master must take to confirm a worker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { masterInstructions } from "./ensure_worker_binding.ts";
 * const lines = masterInstructions({ worker: "0xW", master: "0xM", market: "0xK", chainId: 1 });
 * assert.match(lines.join("\n"), /confirmWorker\(address\)" 0xW/);
 * ```
 */
export function masterInstructions(
  a: { worker: string; master: string; market: string; chainId: number },
): string[] {
  return [
    `This agent (worker ${a.worker}) asked to work for master ${a.master}.`,
    `The master must confirm it: from the master's account ${a.master}, call`,
    `  confirmWorker(${a.worker}) on the market contract ${a.market} (chain id ${a.chainId}),`,
    `  for example with Foundry's cast:`,
    `  cast send ${a.market} "confirmWorker(address)" ${a.worker} --rpc-url <RPC> --private-key <MASTER KEY>`,
    `Once confirmed, deals opened on this rig's orders pay the master; until then they pay ${a.worker}.`,
  ];
}

/** Components of {@linkcode ensureWorkerBinding}. */
export type EnsureWorkerBindingComponents = {
  /**
   * The agent's one market client: its sender is the one nonce keeper of the
   * agent's key (a second sender for the same key would reuse nonces).
   */
  market: WriteMarketClient;
  logger: Logger;
};

/**
 * At start, with `master` in the config: checks that this agent is bound to
 * that master; if it is not, registers as its worker (one transaction) and
 * logs exactly what the master must confirm, and how.
 *
 * @throws {AgentError} when another master confirmed this worker
 * @example
 * ```ts ignore
 * const state = await ensureWorkerBinding({ market, logger }, { master });
 * ```
 */
export async function ensureWorkerBinding(
  components: EnsureWorkerBindingComponents,
  options: { master: `0x${string}`; signal?: AbortSignal | undefined },
): Promise<BindingDecision> {
  const { market, logger } = components;
  const { master, signal } = options;
  const worker = market.sender.address;
  const state = {
    master,
    worker,
    confirmed: await masterOf(market, { who: worker, signal }),
    pending: await pendingMasterOf(market, { worker, signal }),
  };
  const decision = decideBinding(state);
  const instructions = masterInstructions({
    worker,
    master,
    market: market.addresses.market,
    chainId: market.chain.chain.id,
  });
  switch (decision) {
    case "bound":
      logger.info("bound to the master: deals pay it", { worker, master });
      break;
    case "bound-elsewhere":
      throw new AgentError(
        `Cannot work for master "${master}": this agent is the confirmed worker of "${state.confirmed}"`,
        {
          hints: [`Ask ${state.confirmed} to remove worker ${worker} (removeWorker), then restart`],
        },
      );
    case "register":
      await registerWorker(market, { master, signal });
      logger.warn("registered as a worker; the master must confirm", { worker, master });
      logger.warn(instructions.join("\n"), { worker, master });
      break;
    case "wait":
      logger.warn("waiting for the master's confirmation", { worker, master });
      logger.warn(instructions.join("\n"), { worker, master });
      break;
  }
  return decision;
}
