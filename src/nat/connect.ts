/**
 * How a consumer reaches a rig: connect to the rig's relay over QUIC (so the
 * relay observes this host's UDP mapping), open a relayed connection to the
 * rig, then try the punch for a direct one unless either NAT is symmetric.
 *
 * @module
 */
import type { Connection, IdentifyResult } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { NatError } from "./errors.ts";
import type { NatHost } from "./host.ts";
import { isRelayed, type PunchOutcome, requestPunch } from "./punch.ts";

/** Options of {@linkcode connectToRig}. */
export type ConnectToRigOptions = {
  /**
   * The rig's circuit address: `<relay multiaddr>/p2p-circuit/p2p/<rig peer id>`
   * (a direct address of a public rig works too).
   */
  rigAddr: string;
  /** Try the punch for a direct path (default true). */
  direct?: boolean;
  timeoutMs?: number;
  onObserved?: (addr: string | undefined) => void;
};

/** The connections to a rig, the path in use, and how long each step took. */
export type RigConnection = {
  /** The connection to use: the direct one when the punch worked, else the relayed one. */
  connection: Connection;
  path: "direct" | "relay";
  relayed: Connection;
  /** Ms from the first dial to the relayed connection. */
  relayedMs: number;
  /** This host's address as the relay observed it (what the punch aims at). */
  observed: string | undefined;
  punch: PunchOutcome;
};

/** The address a peer's identify answer says it observed for this host. */
function observedBy(
  host: NatHost,
  peerId: string | undefined,
  signal: AbortSignal,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), 2_000);
    const onIdentify = (event: CustomEvent<IdentifyResult>) => {
      if (event.detail.peerId.toString() === peerId) done(event.detail.observedAddr?.toString());
    };
    const done = (addr: string | undefined) => {
      clearTimeout(timer);
      host.node.removeEventListener("peer:identify", onIdentify);
      signal.removeEventListener("abort", onAbort);
      resolve(addr);
    };
    const onAbort = () => done(undefined);
    host.node.addEventListener("peer:identify", onIdentify);
    signal.addEventListener("abort", onAbort);
  });
}

/**
 * Connects to a rig.
 *
 * @throws {NatError} when the relay or the rig cannot be reached (says which)
 */
export async function connectToRig(
  host: NatHost,
  options: ConnectToRigOptions,
): Promise<RigConnection> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const target = multiaddr(options.rigAddr);
  const started = performance.now();
  const isCircuit = options.rigAddr.includes("/p2p-circuit");
  let observed: string | undefined;
  if (isCircuit) {
    const relayAddr = multiaddr(options.rigAddr.split("/p2p-circuit")[0]!);
    // identify runs by itself on a new connection; its answer carries the observed address
    const relayPeer = relayAddr.getComponents().findLast((c) => c.name === "p2p")?.value;
    const identified = observedBy(host, relayPeer, signal);
    let relayConnection: Connection;
    try {
      relayConnection = await host.node.dial(relayAddr, { signal });
    } catch (cause) {
      throw new NatError(`cannot reach the relay ${relayAddr}: ${(cause as Error).message}`, {
        cause,
        hints: ["allow outbound UDP (QUIC) or TCP to the relay's port"],
      });
    }
    const seen = await identified ??
      (await host.node.services.identify.identify(relayConnection, { signal }).catch(() =>
        undefined
      ))?.observedAddr?.toString();
    options.onObserved?.(seen);
    observed = seen?.includes("/quic-v1") ? seen.replace(/\/p2p\/[^/]+$/, "") : undefined;
  }
  let relayed: Connection;
  try {
    relayed = await host.node.dial(target, { signal });
  } catch (cause) {
    throw new NatError(`cannot reach the rig at ${options.rigAddr}: ${(cause as Error).message}`, {
      cause,
      hints: ["check that the rig is running and holds a reservation on this relay"],
    });
  }
  const relayedMs = performance.now() - started;
  const wantDirect = options.direct !== false && isCircuit && isRelayed(relayed);
  const punch: PunchOutcome = wantDirect
    ? await requestPunch(host, relayed, observed)
    : { result: "not-attempted", reason: isCircuit ? "direct path not wanted" : "already direct" };
  const connection = punch.result === "direct" ? punch.connection : relayed;
  return {
    connection,
    path: isRelayed(connection) ? "relay" : "direct",
    relayed,
    relayedMs,
    observed,
    punch,
  };
}
