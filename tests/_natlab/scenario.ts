/**
 * One lab run: the lab, the relay (the real `sonm-agent relay`), the agent
 * node, and consumer runs. Shared by tests/nat_lab_test.ts and
 * bench/nat_bench.ts.
 */
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import type { NatStatus } from "../../src/nat/mod.ts";
import { createLab, type Lab, NsProcess, RELAY_IP } from "./lab.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const CONSUMER_KEY = `0x${"11".repeat(32)}` as const;
export const CONSUMER_ADDRESS = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A";
export const OTHER_KEY = `0x${"22".repeat(32)}` as const;
/** The rig's administrative account in the lab: the address of OTHER_KEY. */
export const ADMIN_ADDRESS = "0x1563915e194D8CfBA1943570603F7606A3115508";
/** The lab rig's Ethereum key (its record's signer) and address (a deal's supplier). */
export const RIG_KEY = `0x${"33".repeat(32)}` as const;
export const RIG_ADDRESS = privateKeyToAccount(RIG_KEY).address;
export const MARKET = "0x00000000000000000000000000000000000000aa";
export const CHAIN_ID = 31337;
export const TEN_MIB = 10 * 1024 * 1024;
export const RELAY_PORT = 4001;

export type Transfer = { bytes: number; intact: boolean; mbps: number };
/** The consumer's `result` line (tests/_natlab/consumer_node.ts). */
export type ConsumerResult = {
  class: string;
  path: string;
  relayedMs: number;
  punch: { result: string; reason: string; ms: number };
  remoteAddr: string;
  status: { state: string };
  foreign: string;
  logs: Transfer;
  logsRelayed: Transfer;
  forward: { bytes: number; intact: boolean };
  rttMs: number;
  rttRelayedMs: number;
  fuzz: { sent: number; outcomes: Record<string, number>; punchSent: number; punchRefused: number };
  afterFuzz: { state: string };
};
export type AgentStatusLine = { status: NatStatus; refusals: Record<string, number> };

export type Running = {
  lab: Lab;
  dir: string;
  relay: NsProcess;
  agent: NsProcess;
  relayAddr: string;
  peerId: string;
};

export function startRelay(lab: Lab, dir: string): NsProcess {
  return new NsProcess(lab.ns.pub, [
    "run",
    "-A",
    join(ROOT, "main.ts"),
    "--log-format",
    "json",
    "relay",
    "--host",
    RELAY_IP,
    "--port",
    String(RELAY_PORT),
    "--echo-ports",
    "3478,3479",
    "--data-dir",
    join(dir, "relay"),
  ]);
}

export async function startLab(
  mode: "cone" | "symmetric",
  options: { blockAgentUdp?: boolean } = {},
): Promise<Running> {
  const lab = await createLab(mode, options);
  const dir = await Deno.makeTempDir({ prefix: "natt-" });
  const relay = startRelay(lab, dir);
  const ready = await relay.waitFor<{ addrs: string[] }>((l) => l.event === "relay-ready");
  const relayAddr = ready.addrs.find((a) => a.includes("/quic-v1/"))!;
  const tcpAddr = ready.addrs.find((a) => a.includes("/tcp/"))!;
  const agent = new NsProcess(lab.ns.agent, [
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    join(ROOT, "tests/_natlab/agent_node.ts"),
    JSON.stringify({
      dataDir: dir,
      relays: [tcpAddr, relayAddr],
      consumer: CONSUMER_ADDRESS,
      admin: ADMIN_ADDRESS,
      chainId: CHAIN_ID,
      market: MARKET,
      logSize: TEN_MIB,
      rigKey: RIG_KEY,
    }),
  ]);
  const agentReady = await agent.waitFor<{ peerId: string }>((l) => l.event === "ready");
  return { lab, dir, relay, agent, relayAddr, peerId: agentReady.peerId };
}

export async function stopLab(running: Running): Promise<void> {
  await running.agent.stop();
  await running.relay.stop();
  await running.lab.down();
  await Deno.remove(running.dir, { recursive: true });
}

export async function runConsumer(
  running: Running,
  steps: string[],
  extra: Record<string, unknown> = {},
): Promise<ConsumerResult> {
  const consumer = new NsProcess(running.lab.ns.consumer, [
    "run",
    "-A",
    join(ROOT, "tests/_natlab/consumer_node.ts"),
    JSON.stringify({
      relayAddr: running.relayAddr,
      rigPeerId: running.peerId,
      consumerKey: CONSUMER_KEY,
      otherKey: OTHER_KEY,
      chainId: CHAIN_ID,
      market: MARKET,
      logSize: TEN_MIB,
      forwardBytes: 1024 * 1024,
      fuzzCount: 0,
      fuzzSeed: 1,
      steps,
      ...extra,
    }),
  ]);
  try {
    return await consumer.waitFor((l) => l.event === "result", 120_000);
  } finally {
    await consumer.stop();
  }
}
