/**
 * The file through which the running agent's NAT host tells other processes
 * (`sonm-agent status`) its connectivity: its name, its reader, and the
 * dashboard's view of it.
 *
 * @module
 */
import { join } from "node:path";
import type { ConnectivityStatus } from "../../dashboard/mod.ts";
import type { NatStatus } from "../../nat/mod.ts";

/** File in the data directory holding the last NAT status (JSON). */
export const NAT_STATUS_FILE = "nat-status.json";
/**
 * File in the data directory holding the rig's last signed record (what it
 * publishes on the relays' directory): a consumer on the same machine reads
 * it, and checks it like one from the directory.
 */
export const RIG_RECORD_FILE = "rig-record.json";

/**
 * The NAT status in the dashboard's shape: class, the first relay's state and
 * the addresses consumers can dial: the circuit addresses through the
 * relays' configured addresses first, then the direct ones that are not
 * loopback or unspecified (a relay's or the rig's 127.0.0.1 names nothing
 * from elsewhere).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toConnectivity } from "./nat_status_file.ts";
 * const c = toConnectivity({
 *   peerId: "p", class: "cone", mappings: [], diagnostics: [],
 *   addrs: ["/ip4/10.0.0.2/tcp/1/p2p/p", "/ip4/127.0.0.1/tcp/1/p2p/p",
 *     "/ip4/127.0.0.1/udp/4001/quic-v1/p2p/r/p2p-circuit/p2p/p"],
 *   relays: [{ peerId: "r", addrs: ["/ip4/1.2.3.4/udp/4001/quic-v1/p2p/r"], state: "reserved",
 *     circuitAddrs: ["/ip4/1.2.3.4/udp/4001/quic-v1/p2p/r/p2p-circuit/p2p/p"], reservations: 1 }],
 * });
 * assert.equal(c.relay?.state, "reserved");
 * assert.deepEqual(c.addresses, [
 *   "/ip4/1.2.3.4/udp/4001/quic-v1/p2p/r/p2p-circuit/p2p/p",
 *   "/ip4/10.0.0.2/tcp/1/p2p/p",
 * ]);
 * ```
 */
export function toConnectivity(status: NatStatus): ConnectivityStatus {
  const relay = status.relays[0];
  const circuit = status.relays.flatMap((r) => r.circuitAddrs);
  return {
    class: status.class,
    ...(relay === undefined
      ? {}
      : { relay: { address: relay.addrs[0] ?? "", state: relay.state } }),
    addresses: [
      ...circuit,
      ...status.addrs.filter((a) => !a.includes("/p2p-circuit") && !LOCAL_ADDRESS.test(a)),
    ],
  };
}

/** A multiaddr on loopback or the unspecified address: no consumer elsewhere can dial it. */
const LOCAL_ADDRESS = /^\/ip4\/(127\.|0\.0\.0\.0\/)|^\/ip6\/(::1?)\//;

/**
 * The status the running agent last wrote, for `sonm-agent status`;
 * undefined when no agent runs a NAT host on this data directory.
 */
export async function readNatStatusFile(dataDir: string): Promise<NatStatus | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(join(dataDir, NAT_STATUS_FILE))) as NatStatus;
  } catch {
    return undefined;
  }
}
