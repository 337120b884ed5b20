import { existsSync } from "node:fs";
import { join } from "node:path";
import { AgentError } from "../../errors.ts";
import { loadConfig } from "../config/mod.ts";
import { type AgentState, openState } from "../state/mod.ts";

/** Opens the agent's state for a read-only view command (`orders`, `deals`). */
export async function openStateForView(
  what: string,
  options: { configPath?: string | undefined; dataDir?: string | undefined },
): Promise<AgentState> {
  const dataDir = options.dataDir ??
    (options.configPath === undefined ? "./.data" : (await loadConfig(options.configPath)).dataDir);
  const path = join(dataDir, "agent.sqlite");
  if (!existsSync(path)) {
    throw new AgentError(`Cannot show ${what}: no agent state at "${path}"`, {
      hints: ["Run the agent first: sonm-agent run --config rig.yaml"],
    });
  }
  return openState({ path });
}
