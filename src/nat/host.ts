/**
 * The libp2p host of the agent (and of the consumer's client): TCP and QUIC,
 * noise, yamux, identify, ping and the circuit relay v2 client, a persistent
 * identity, reservations kept on the configured relays, and the connectivity
 * class learnt from the relay's UDP echo service.
 *
 * @module
 */
import { noise } from "@chainsafe/libp2p-noise";
import { quic } from "@chainsafe/libp2p-quic";
import { yamux } from "@chainsafe/libp2p-yamux";
import { circuitRelayTransport } from "@libp2p/circuit-relay-v2";
import { type Identify, identify } from "@libp2p/identify";
import type { Libp2p, PrivateKey } from "@libp2p/interface";
import { type Ping, ping } from "@libp2p/ping";
import type { KadDHT } from "@libp2p/kad-dht";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2pOptions } from "libp2p";
import { type ListenerControl, listenerControl } from "./_listener_control.ts";
import { groupRelays, RelayKeeper } from "./_relay_keeper.ts";
import { rigDirectoryService } from "./rig_directory.ts";
import { type ConnectivityClass, diagnose, type NatStatus } from "./status.ts";
import { DEFAULT_ECHO_PORTS, type MappingProbe, probeMapping } from "./udp_echo.ts";

/** The services every host runs; `dht` is the rigs' directory, as a client. */
export type NatServices = {
  identify: Identify;
  ping: Ping;
  listenerControl: ListenerControl;
  dht: KadDHT;
};
/** The libp2p node of a host. */
export type NatNode = Libp2p<NatServices>;

/** Options of {@linkcode createNatHost}. */
export type CreateNatHostOptions = {
  privateKey: PrivateKey;
  /** Listen multiaddrs; `[]` for a dial-only client. */
  listen?: readonly string[];
  /** Relay multiaddrs with `/p2p/<id>` (config `nat.relays`). */
  relays?: readonly string[];
  /** UDP ports of the echo service on each relay's host. */
  echoPorts?: readonly number[];
  /** Where the echo service runs when there is no relay to take it from ("host"). */
  echoHost?: string;
  /**
   * Probe the NAT before the host is returned (the rig: its reservations
   * depend on it). A consumer's client passes false and probes only when it
   * needs the class, for a punch, while it dials. @default {true}
   */
  classifyAtStart?: boolean;
  retryMinMs?: number;
  retryMaxMs?: number;
  /**
   * How often the NAT is probed again, ms (a router's mapping policy may
   * change; 0: never). @default {300000}
   */
  reclassifyMs?: number;
  /** How often the host's network interfaces are compared for a change (probed again then), ms. @default {10000} */
  networkCheckMs?: number;
  onEvent?: (event: string, fields: Record<string, unknown>) => void;
};

/** A running host. */
export type NatHost = {
  node: NatNode;
  peerId: string;
  /** The host's status snapshot for the agent, `status` and the dashboard. */
  status(): NatStatus;
  /**
   * Probes the NAT again through the echo service (on `echoHost` when given,
   * else the host's) and returns the class (the host also does so on a network
   * change and every `reclassifyMs`; a change of class is reported as the
   * `connectivity changed` event).
   */
  classify(echoHost?: string): Promise<ConnectivityClass>;
  /** Host (IP) of the echo service, when known. */
  echoHost(): string | undefined;
  echoPorts: readonly number[];
  stop(): Promise<void>;
};

/** yamux, typed as libp2p expects: npm installed two copies of `uint8arraylist`'s types. */
function yamuxMuxer(): NonNullable<Libp2pOptions["streamMuxers"]>[number] {
  return yamux() as unknown as NonNullable<Libp2pOptions["streamMuxers"]>[number];
}

/** Default listen addresses of an agent: any free TCP and QUIC port. */
export const DEFAULT_LISTEN = ["/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"] as const;

function echoHostOf(relays: readonly string[]): string | undefined {
  for (const addr of relays) {
    const ip = multiaddr(addr).getComponents().find((c) => c.name === "ip4");
    if (ip?.value !== undefined) return ip.value;
  }
  return undefined;
}

function mappingLines(probe: MappingProbe | undefined): string[] {
  if (probe === undefined || probe.class === "udp-blocked") return [];
  if (probe.class === "symmetric") return probe.mappings.map((m) => `${m.address}:${m.port}`);
  return [`${probe.mapping.address}:${probe.mapping.port}`];
}

/**
 * Starts a host: listens, classifies the NAT, reserves on every relay.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { generateKeyPair } from "@libp2p/crypto/keys";
 * import { createNatHost } from "./host.ts";
 * const host = await createNatHost({
 *   privateKey: await generateKeyPair("Ed25519"),
 *   listen: ["/ip4/127.0.0.1/tcp/0"],
 * });
 * assert.equal(host.status().peerId, host.peerId);
 * assert.ok(host.status().diagnostics[0]?.includes("no relay"));
 * await host.stop();
 * ```
 */
export async function createNatHost(options: CreateNatHostOptions): Promise<NatHost> {
  const relays = options.relays ?? [];
  groupRelays(relays); // refuse a bad relay address before starting anything
  const node: NatNode = await createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen: [...(options.listen ?? DEFAULT_LISTEN)] },
    transports: [
      tcp(),
      quic({ maxIdleTimeout: 6_000, keepAliveInterval: 2_000 }),
      circuitRelayTransport({ reservationCompletionTimeout: 5_000 }),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamuxMuxer()],
    services: {
      identify: identify(),
      ping: ping(),
      listenerControl: listenerControl(),
      dht: rigDirectoryService("client"),
    },
  });
  let echoHost = options.echoHost ?? echoHostOf(relays);
  const echoPorts = options.echoPorts ?? DEFAULT_ECHO_PORTS;
  let probe: MappingProbe | undefined;
  let probing: Promise<ConnectivityClass> | undefined;
  /** Probes the NAT; reports the first class, and each change of class with its reason. */
  const reclassify = (reason: string): Promise<ConnectivityClass> => {
    probing ??= (async () => {
      if (echoHost === undefined) return "unknown";
      const before: ConnectivityClass | undefined = probe?.class;
      const found = await probeMapping({ hostname: echoHost, ports: echoPorts });
      probe = found;
      if (before === undefined) {
        options.onEvent?.("connectivity classified", { class: found.class });
      } else if (before !== found.class) {
        options.onEvent?.("connectivity changed", { from: before, to: found.class, reason });
      }
      return found.class;
    })().finally(() => (probing = undefined));
    return probing;
  };
  const classify = (at?: string) => {
    echoHost = at ?? echoHost;
    return reclassify("asked");
  };
  if (options.classifyAtStart !== false) await classify();
  const keeper = new RelayKeeper(node, node.services.listenerControl, {
    relays,
    tcpOnly: () => probe?.class === "udp-blocked",
    ...(options.retryMinMs === undefined ? {} : { retryMinMs: options.retryMinMs }),
    ...(options.retryMaxMs === undefined ? {} : { retryMaxMs: options.retryMaxMs }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  await keeper.start();
  // the class is not fixed at start: a new network (or a router's new policy) changes it
  let network = networkSignature();
  const probeQuietly = (reason: string) =>
    void reclassify(reason).catch((error: unknown) =>
      options.onEvent?.("connectivity probe failed", { reason, error: String(error) })
    );
  const timers = [
    setInterval(() => {
      const now = networkSignature();
      if (now === network) return;
      network = now;
      probeQuietly("network change");
    }, options.networkCheckMs ?? 10_000),
  ];
  const reclassifyMs = options.reclassifyMs ?? 300_000;
  if (reclassifyMs > 0) {
    timers.push(setInterval(() => probeQuietly("periodic check"), reclassifyMs));
  }
  const status = (): NatStatus => {
    const relayStates = keeper.states();
    const connectivity = probe?.class ?? "unknown";
    return {
      peerId: node.peerId.toString(),
      class: connectivity,
      mappings: mappingLines(probe),
      relays: relayStates,
      addrs: node.getMultiaddrs().map((a) => a.toString()),
      diagnostics: diagnose({ class: connectivity, relays: relayStates }),
    };
  };
  return {
    node,
    peerId: node.peerId.toString(),
    status,
    classify,
    echoHost: () => echoHost,
    echoPorts,
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      keeper.stop();
      await probing?.catch(() => {});
      await node.stop();
    },
  };
}

/** The host's addresses, other than loopback, as one comparable text: it changes with the network. */
function networkSignature(): string {
  try {
    return Deno.networkInterfaces()
      .filter((i) => !i.address.startsWith("127.") && i.address !== "::1")
      .map((i) => `${i.name}=${i.address}`).sort().join(",");
  } catch {
    return ""; // no permission to list interfaces: only the periodic probe follows changes
  }
}
