import { connectChain, createMarketClient, getDeal, getOrder } from "../../chain/mod.ts";
import { AgentError } from "../../errors.ts";
import { ZERO_ADDRESS } from "../../internal/mod.ts";
import { z } from "zod";
import type { ClientConfig } from "../config/mod.ts";

/** The ASK's netflag that sells connections into the task. */
const INCOMING = 2;

/** The parts of the rig's `status` answer (a TaskStatus) the check reads. */
const taskStatusSchema = z.object({
  taskId: z.string().max(64),
  state: z.string().max(32),
  ports: z.array(z.object({ containerPort: z.number().int() })).max(64),
});

/** Options of {@linkcode checkForward}. */
export type CheckForwardOptions = {
  /** The client's config (its chain); without one only the task's status is checked. */
  config: ClientConfig | undefined;
  dealId: bigint;
  containerPort: number;
  /** Asks the rig for the deal's task (`client status`): its answer, checked here. */
  status: () => Promise<unknown>;
  signal?: AbortSignal | undefined;
};

/**
 * Before `client forward` opens a local port: refuses, with what is missing,
 * a forward that could only fail connection by connection: a deal whose
 * plan does not sell incoming connections (its ASK's `incoming` netflag,
 * read on chain), a closed deal, or a task that is not running or does not
 * publish the port (asked of the rig).
 *
 * @throws {AgentError} (exit 2) saying why no connection could get through
 * @example
 * ```ts ignore
 * await checkForward({ config, dealId: 3n, containerPort: 8080, status: () => askStatus() });
 * ```
 */
export async function checkForward(options: CheckForwardOptions): Promise<void> {
  const { config, dealId, containerPort, signal } = options;
  const refuse = (why: string, hints: string[] = []) =>
    new AgentError(`Cannot forward to port ${containerPort} of deal ${dealId}: ${why}`, {
      badInput: true,
      hints,
    });
  if (config !== undefined) {
    const chain = await connectChain({
      url: config.chain.rpcUrl,
      chainId: config.chain.chainId,
      signal,
    });
    try {
      const market = createMarketClient(chain, {
        addresses: {
          market: config.chain.contracts.market,
          token: ZERO_ADDRESS,
          oracle: ZERO_ADDRESS,
          blacklist: ZERO_ADDRESS,
          profiles: ZERO_ADDRESS,
        },
      });
      const deal = await getDeal(market, { dealId, signal });
      if (deal === undefined) throw refuse("there is no such deal");
      if (deal.status !== "ACCEPTED") throw refuse("the deal is closed");
      const ask = await getOrder(market, { orderId: deal.askId, signal });
      if (ask?.netflags[INCOMING] !== true) {
        throw refuse(
          `its plan does not sell incoming connections (ASK ${deal.askId} has no incoming netflag)`,
          [
            "Only a plan with net.incoming: true publishes a task's ports: buy one with a BID that needs incoming",
          ],
        );
      }
    } finally {
      await chain.close();
    }
  }
  const answer = taskStatusSchema.safeParse(await options.status());
  if (!answer.success) throw new AgentError("Cannot forward: the rig's status answer is malformed");
  const task = answer.data;
  if (task.state !== "running") {
    throw refuse(
      task.state === "none" ? "the deal has no task yet" : `task ${task.taskId} is ${task.state}`,
      ["Submit a task that publishes the port: sonm-agent client submit --task FILE"],
    );
  }
  if (!task.ports.some((p) => p.containerPort === containerPort)) {
    const ports = task.ports.map((p) => p.containerPort).join(", ");
    throw refuse(
      `task ${task.taskId} publishes ${ports === "" ? "no port" : `port(s) ${ports}`}`,
      ["List the port under ports: in the task file, then submit it again"],
    );
  }
}
