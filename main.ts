/**
 * sonm-agent: the supplier agent of a decentralized compute market.
 *
 * This file is the CLI only: it parses flags, calls one src/agent function
 * per subcommand, prints a table or JSON, and maps errors to exit codes:
 * 0 ok, 1 runtime failure, 2 bad input (config, flags, a state recorded on
 * another chain).
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import {
  AgentError,
  ChainIdentityError,
  checkConfig,
  ConfigError,
  createLogger,
  formatConfigProblem,
  initRig,
  type Logger,
  type LogLevel,
  runAgentFromFile,
  runBenchCommand,
  runDealsCommand,
  runHardwareCommand,
  runMatchCommand,
  runOrdersCommand,
  runVerifyReportCommand,
  VERSION,
} from "./src/agent/mod.ts";

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_BAD_INPUT = 2;

const encoder = new TextEncoder();

function print(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text + "\n"));
}

function printError(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text + "\n"));
}

function printJson(value: unknown): void {
  print(JSON.stringify(value, (_k, v) => typeof v === "bigint" ? v.toString() : v, 2));
}

type GlobalOptions = { logLevel: LogLevel; logFormat: "text" | "json"; verbose: boolean };

function loggerFrom(command: Command): Logger {
  const opts = command.optsWithGlobals<GlobalOptions>();
  return createLogger({ level: opts.verbose ? "debug" : opts.logLevel, format: opts.logFormat });
}

/** Log settings given explicitly on the command line (they win over the config's). */
function logFlags(command: Command): { level?: LogLevel; format?: "text" | "json" } {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const root = command.parent ?? command;
  const explicit = (name: string) => root.getOptionValueSource(name) === "cli";
  return {
    ...(opts.verbose
      ? { level: "debug" as const }
      : explicit("logLevel")
      ? { level: opts.logLevel }
      : {}),
    ...(explicit("logFormat") ? { format: opts.logFormat } : {}),
  };
}

/** Aborts when the process gets SIGINT or SIGTERM (Ctrl-C, systemd stop). */
function shutdownSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error("stopped by signal"));
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  return controller.signal;
}

function buildProgram(): Command {
  const program = new Command()
    .name("sonm-agent")
    .description(
      "Supplier agent of a decentralized compute market: offers this rig as ASK orders, opens deals, runs the consumers' containers and bills them.",
    )
    .version(VERSION, "-V, --version")
    .addOption(
      new Option("--log-level <level>", "lowest level to log")
        .choices(["debug", "info", "warn", "error"]).default("info"),
    )
    .addOption(
      new Option("--log-format <format>", "text for people, json for log shippers")
        .choices(["text", "json"]).default("text"),
    )
    .option("-v, --verbose", "debug logs, and the cause chain of errors", false)
    .showHelpAfterError()
    .exitOverride();

  program.command("run")
    .description("run the agent until Ctrl-C or SIGTERM")
    .requiredOption("-c, --config <file>", "the rig's config file")
    .action(async (opts: { config: string }, command: Command) => {
      await runAgentFromFile(opts.config, { log: logFlags(command), signal: shutdownSignal() });
    });

  const config = program.command("config").description("work with config files");
  config.command("check")
    .description("validate a config file and show what the agent would do with it")
    .requiredOption("-c, --config <file>", "the rig's config file")
    .option("--json", "print JSON", false)
    .action(async (opts: { config: string; json: boolean }) => {
      const summary = await checkConfig(opts.config);
      if (opts.json) return printJson({ ok: true, ...summary });
      print(`${summary.file}: ok`);
      print(`  chain      ${summary.chain}`);
      print(`  data dir   ${summary.dataDir}`);
      print(`  keystore   ${summary.keystore}`);
      print(`  dashboard  ${summary.dashboard}`);
      print(`  plans      ${summary.plans.length}`);
      for (const p of summary.plans) {
        const gpus = p.gpus.length ? ` gpus ${p.gpus.join(",")}` : "";
        print(`    ${p.name}: ${p.priceUsdPerHour} USD/h, ${p.duration}${gpus}`);
      }
    });

  program.command("init")
    .description("write a commented config and a new encrypted keystore")
    .option("-c, --config <file>", "where to write the config", "rig.yaml")
    .option("--passphrase-env <name>", "environment variable holding the keystore passphrase")
    .option("--passphrase-file <file>", "file holding the keystore passphrase")
    .option("--force", "overwrite an existing config", false)
    .option("--json", "print JSON", false)
    .action(
      async (
        opts: {
          config: string;
          passphraseEnv?: string;
          passphraseFile?: string;
          force: boolean;
          json: boolean;
        },
        command: Command,
      ) => {
        const result = await initRig({
          configPath: opts.config,
          passphraseEnv: opts.passphraseEnv,
          passphraseFile: opts.passphraseFile,
          force: opts.force,
          logger: loggerFrom(command),
        });
        if (opts.json) return printJson(result);
        print(`wrote ${result.configPath}`);
        print(`keystore ${result.keystorePath} (address ${result.address})`);
        print(
          `next: edit the plans in ${result.configPath}, then run: sonm-agent --config ${result.configPath}`,
        );
      },
    );

  program.command("hardware")
    .description("show the rig's hardware: CPU, RAM, storage, network, GPUs, OpenCL devices")
    .option("-c, --config <file>", "the rig's config file (for its data directory)")
    .option("--data-dir <dir>", "measure storage on this directory's filesystem")
    .option("--json", "print JSON", false)
    .action(async (opts: { config?: string; dataDir?: string; json: boolean }) => {
      const dataDir = opts.dataDir ??
        (opts.config === undefined ? "./.data" : (await checkConfig(opts.config)).dataDir);
      const { hardware, hardwareHash, lines } = await runHardwareCommand({ dataDir });
      if (opts.json) return printJson({ ...hardware, hardwareHash });
      for (const line of lines) print(line);
    });

  program.command("match")
    .description("match orders from a JSON-lines market file, or explain why a pair does not match")
    .requiredOption("--orders <file>", "market file: one order or view record per line")
    .option("--ask <id>", "the BIDs this ASK satisfies")
    .option("--bid <id>", "the ASKs this BID fits (with --ask: explain that pair)")
    .option("--explain", "show each pair's first failing rule and its values", false)
    .option("--limit <n>", "at most n matches per order", (v: string) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n <= 0) {
        throw new InvalidArgumentError("must be a positive integer");
      }
      return n;
    })
    .option("--json", "print JSON", false)
    .action(async (opts: {
      orders: string;
      ask?: string;
      bid?: string;
      explain: boolean;
      limit?: number;
      json: boolean;
    }) => {
      const { lines, ...result } = await runMatchCommand({
        ordersPath: opts.orders,
        ask: opts.ask,
        bid: opts.bid,
        explain: opts.explain,
        limit: opts.limit,
      });
      if (opts.json) return printJson(result);
      for (const line of lines) print(line);
    });

  program.command("orders")
    .description("show this agent's ASK orders (from its state; works while it runs)")
    .requiredOption("-c, --config <file>", "the rig's config file")
    .option("--json", "print JSON", false)
    .action(async (opts: { config: string; json: boolean }) => {
      const { orders, lines } = await runOrdersCommand({ configPath: opts.config });
      if (opts.json) return printJson(orders);
      for (const line of lines) print(line);
    });

  program.command("deals")
    .description("show the deals on this agent's orders, with payments (from its state)")
    .requiredOption("-c, --config <file>", "the rig's config file")
    .option("--json", "print JSON", false)
    .action(async (opts: { config: string; json: boolean }) => {
      const { deals, lines } = await runDealsCommand({ configPath: opts.config });
      if (opts.json) return printJson(deals);
      for (const line of lines) print(line);
    });

  program.command("bench")
    .description("run the benchmark suite (or `bench verify FILE`: check a signed report)")
    .argument("[verify]", "verify a signed report instead of benchmarking")
    .argument("[file]", "the report to verify")
    .option("-c, --config <file>", "the rig's config file (data directory, keystore for --report)")
    .option("--data-dir <dir>", "state and storage directory (default: the config's, or ./.data)")
    .option("--only <ids...>", "benchmark ids or keys, e.g. --only 0,cpu-cores")
    .option("--force", "measure again, ignoring cached results", false)
    .option("--net-endpoint <url>", "network probe server for net-download/net-upload")
    .option("--report <file>", "write a report signed with the rig's key (needs --config)")
    .option("--json", "print JSON", false)
    .action(async (verb: string | undefined, file: string | undefined, opts: {
      config?: string;
      dataDir?: string;
      only?: string[];
      force: boolean;
      netEndpoint?: string;
      report?: string;
      json: boolean;
    }, command: Command) => {
      if (verb !== undefined) {
        if (verb !== "verify" || file === undefined) {
          printError("error: usage: sonm-agent bench verify FILE");
          throw new CommanderError(
            EXIT_BAD_INPUT,
            "bench.usage",
            "usage: sonm-agent bench verify FILE",
          );
        }
        const result = await runVerifyReportCommand({ path: file });
        if (opts.json) {
          printJson({ valid: result.valid, signer: result.signer, reason: result.reason });
        } else {
          print(
            result.valid
              ? `${file}: valid, signed by ${result.signer}`
              : `${file}: INVALID: ${result.reason}`,
          );
        }
        if (!result.valid) {
          throw new AgentError(`Cannot accept benchmark report "${file}": ${result.reason}`);
        }
        return;
      }
      const isTerminal = Deno.stderr.isTerminal();
      const { suite, report, lines } = await runBenchCommand({
        logger: loggerFrom(command),
        progress: opts.json
          ? undefined
          : { isTerminal, write: (t) => Deno.stderr.writeSync(encoder.encode(t)) },
      }, {
        configPath: opts.config,
        dataDir: opts.dataDir,
        only: opts.only,
        force: opts.force,
        netEndpoint: opts.netEndpoint,
        reportPath: opts.report,
        signal: shutdownSignal(),
      });
      if (opts.json) return printJson({ ...suite, report });
      for (const line of lines) print(line);
    });

  return program;
}

function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") {
      return EXIT_OK;
    }
    if (error.code === "commander.help") return EXIT_BAD_INPUT;
    return EXIT_BAD_INPUT; // commander already printed the message
  }
  if (error instanceof ConfigError) {
    printError(`error: ${error.message}`);
    for (const problem of error.problems) printError(`  ${formatConfigProblem(problem)}`);
    for (const hint of error.hints) printError(`hint: ${hint}`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof ChainIdentityError) {
    printError(`error: ${error.name}: ${error.message}`);
    for (const hint of error.hints) printError(`hint: ${hint}`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof AgentError) {
    printError(`error: ${error.name}: ${error.message}`);
    for (const hint of error.hints) printError(`hint: ${hint}`);
    if (verbose) {
      for (const cause of [...error.causes()].slice(1)) {
        printError(
          `  caused by: ${
            cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
          }`,
        );
      }
    }
    return error.badInput ? EXIT_BAD_INPUT : EXIT_FAILURE;
  }
  printError(`error: unexpected failure: ${error instanceof Error ? error.stack : String(error)}`);
  return EXIT_FAILURE;
}

/**
 * `sonm-agent --config rig.yaml` is short for `sonm-agent run --config rig.yaml`:
 * with no subcommand but a config, run is implied.
 */
function withImpliedRun(program: Command, args: readonly string[]): string[] {
  const names = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  names.add("help");
  const hasCommand = args.some((a) => names.has(a));
  const hasConfig = args.some((a) => a === "-c" || a === "--config" || a.startsWith("--config="));
  return !hasCommand && hasConfig ? ["run", ...args] : [...args];
}

if (import.meta.main) {
  const program = buildProgram();
  let code = EXIT_OK;
  try {
    await program.parseAsync(withImpliedRun(program, Deno.args), { from: "user" });
  } catch (error) {
    code = reportError(error, Deno.args.includes("--verbose") || Deno.args.includes("-v"));
  }
  Deno.exit(code);
}
