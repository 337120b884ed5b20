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
/** The consumer's relay: another relay of the market, joined with the rig's in one directory. */
export const RELAY_B_PORT = 4002;

export type Transfer = { bytes: number; intact: boolean; mbps: number };
/** The consumer's `result` line (tests/_natlab/consumer_node.ts). */
export type ConsumerResult = {
  class: string;
  /** Ms from the relay connection to the rig's record, found through relay B. */
  lookupMs: number;
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
  /** The rig's relay (A). */
  relay: NsProcess;
  /** The consumer's relay (B): not the rig's, joined with A. */
  relayB: NsProcess;
  agent: NsProcess;
  /** Relay A's QUIC address. */
  relayAddr: string;
  /** Relay B's QUIC address: the only relay the consumer knows. */
  relayBAddr: string;
  peerId: string;
};

/** Relay A (the rig's), or with `peer` relay B, which joins A's directory. */
export function startRelay(lab: Lab, dir: string, peer?: string): NsProcess {
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
    String(peer === undefined ? RELAY_PORT : RELAY_B_PORT),
    "--echo-ports",
    peer === undefined ? "3478,3479" : "3480,3481",
    "--data-dir",
    join(dir, peer === undefined ? "relay" : "relay-b"),
    ...(peer === undefined ? [] : ["--peer", peer]),
  ]);
}

export async function startLab(
  mode: "cone" | "symmetric",
  options: { blockAgentUdp?: boolean; publicRig?: boolean } = {},
): Promise<Running> {
  const lab = await createLab(mode, options);
  const dir = await Deno.makeTempDir({ prefix: "natt-" });
  const relay = startRelay(lab, dir);
  const ready = await relay.waitFor<{ addrs: string[] }>((l) => l.event === "relay-ready");
  const relayAddr = ready.addrs.find((a) => a.includes("/quic-v1/"))!;
  const tcpAddr = ready.addrs.find((a) => a.includes("/tcp/"))!;
  const relayB = startRelay(lab, dir, relayAddr);
  const readyB = await relayB.waitFor<{ addrs: string[] }>((l) => l.event === "relay-ready");
  const relayBAddr = readyB.addrs.find((a) => a.includes("/quic-v1/"))!;
  await relayB.waitFor((l) => l.event === "peer-relay-joined");
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
  // the record lists both circuits (TCP and QUIC) once both reservations are made: the
  // punch needs the QUIC one
  const circuits = options.blockAgentUdp ? 1 : 2;
  await agent.waitFor((l) => l.event === "record-published" && Number(l.circuits) >= circuits);
  return { lab, dir, relay, relayB, agent, relayAddr, relayBAddr, peerId: agentReady.peerId };
}

export async function stopLab(running: Running): Promise<void> {
  await running.agent.stop();
  await running.relayB.stop();
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
      relayAddr: running.relayBAddr,
      rigAddress: RIG_ADDRESS,
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
