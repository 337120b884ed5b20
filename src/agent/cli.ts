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
  formatConfigProblem,
} from "./errors.ts";
export { createLogger, type Logger, type LogLevel } from "./logger.ts";
export { VERSION } from "./version.ts";

/**
 * Each subcommand's module, loaded on first use. Adding a subcommand is a
 * line here and a block in main.ts.
 */
export const commands = {
  run: () => import("./run_agent.ts"),
  configCheck: () => import("./check_config.ts"),
  init: () => import("./init_rig.ts"),
  hardware: () => import("./hardware_command.ts"),
  match: () => import("./match_command.ts"),
  orders: () => import("./orders_command.ts"),
  deals: () => import("./deals_command.ts"),
  bench: () => import("./bench_command.ts"),
  benchVerify: () => import("./verify_report_command.ts"),
  status: () => import("./status_command.ts"),
} as const;
