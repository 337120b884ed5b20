/**
 * The supervisor: config, state, and the lifecycle of the agent; the only
 * module that wires the others together. Its rooms, each with its own
 * `mod.ts` and imported in this order only: `base/` < `config/` < `state/` <
 * `setup/` < `market/` < `tasks/` < `status/` < `commands/`. At the root sit
 * the composition root (`run_agent.ts`), the NAT service it starts, and
 * `cli.ts`, the face main.ts loads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runAgent } from "./mod.ts";
 * assert.equal(typeof runAgent, "function");
 * ```
 *
 * @module
 */
export { commands } from "./cli.ts";
export {
  type AgentReady,
  runAgent,
  runAgentFromFile,
  type RunAgentFromFileOptions,
  type RunAgentOptions,
} from "./run_agent.ts";
export { type NatService, startNatService, type StartNatServiceOptions } from "./nat_service.ts";
