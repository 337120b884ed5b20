/**
 * What main.ts loads at start, and nothing heavier: the errors it maps to
 * exit codes, the version, the logger, and one loader per subcommand. A
 * subcommand's modules (viem, zod, yaml, docker, ...) load when it runs, so
 * `sonm-agent --help` does not pay for them. A test keeps this file's static
 * imports free of npm packages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commands } from "./cli.ts";
 * const { runMatchCommand } = await commands.match();
 * assert.equal(typeof runMatchCommand, "function");
 * ```
 *
 * @module
 */
export { AgentError } from "../errors.ts";
export {
  ChainIdentityError,
  ConfigError,
  type ConfigProblem,
  createLogger,
  formatConfigProblem,
  type Logger,
  type LogLevel,
  VERSION,
} from "./base/mod.ts";
export type { ClientAdminRequest, ClientTarget } from "./commands/mod.ts";

/**
 * Each subcommand's module, loaded on first use. Adding a subcommand is a
 * line here and a block in main.ts.
 */
export const commands = {
  run: () => import("./run_agent.ts"),
  configCheck: () => import("./commands/check_config.ts"),
  init: () => import("./commands/init_rig.ts"),
  hardware: () => import("./commands/hardware_command.ts"),
  match: () => import("./commands/match_command.ts"),
  orders: () => import("./commands/orders_command.ts"),
  deals: () => import("./commands/deals_command.ts"),
  bench: () => import("./commands/bench_command.ts"),
  benchVerify: () => import("./commands/verify_report_command.ts"),
  status: () => import("./commands/status_command.ts"),
  selftest: () => import("./commands/selftest_command.ts"),
  client: () => import("./commands/client_command.ts"),
  clientInit: () => import("./commands/client_init.ts"),
  clientTarget: () => import("./commands/client_target.ts"),
  clientExec: () => import("./commands/client_exec.ts"),
  clientForwardCheck: () => import("./commands/client_forward_check.ts"),
  clientBid: () => import("./commands/client_bid.ts"),
  clientMarket: () => import("./commands/client_market.ts"),
  clientOrders: () => import("./commands/client_orders.ts"),
  clientDeals: () => import("./commands/client_deals.ts"),
  clientVerify: () => import("./commands/client_verify.ts"),
  devnet: () => import("./commands/devnet_command.ts"),
  relay: () => import("./commands/relay_command.ts"),
} as const;
