/**
 * The relay a market operator runs (`sonm-agent relay`): circuit relay v2
 * over TCP and QUIC with limits sized for task traffic, a reservation cap, a
 * per-peer bandwidth cap, the UDP echo service that tells an agent its NAT
 * mapping, and a server of the rigs' directory (the DHT where rigs publish
 * their signed records), joined with the other relays it is given.
 *
 * @module
 */
import { noise } from "@chainsafe/libp2p-noise";
import { quic } from "@chainsafe/libp2p-quic";
import { yamux } from "@chainsafe/libp2p-yamux";
import { circuitRelayServer } from "@libp2p/circuit-relay-v2";
import { identify } from "@libp2p/identify";
import type { Connection, PrivateKey, Stream, StreamHandlerOptions } from "@libp2p/interface";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2pOptions } from "libp2p";
import { z } from "zod";
import { asMiddleware, peerBandwidthCap } from "./_peer_bandwidth.ts";
import { rigDirectoryService } from "./rig_directory.ts";
import { startUdpEcho } from "./udp_echo.ts";

const HOP_PROTOCOL = "/libp2p/circuit/relay/0.2.0/hop";
const STOP_PROTOCOL = "/libp2p/circuit/relay/0.2.0/stop";

/** The relay's limits; the stock ones (128 KiB, 2 min per connection) break task traffic. */
export const relayLimitsSchema = z.strictObject({
  /** Bytes per relayed connection before the relay cuts it. */
  dataBytesPerConnection: z.number().int().positive().default(8 * 1024 ** 3),
  /** Lifetime of a relayed connection, ms. */
  durationMsPerConnection: z.number().int().positive().default(12 * 3600_000),
  /** How many peers may hold a reservation at once. */
  maxReservations: z.number().int().positive().max(100_000).default(1024),
  /** Reservation lifetime, ms (the client refreshes it). */
  reservationTtlMs: z.number().int().positive().default(3600_000),
  /** Bytes per second each peer may send through the relay (all its streams). */
  peerBytesPerSecond: z.number().int().positive().default(64_000_000), // 512 Mbit/s
});
export type RelayLimits = z.output<typeof relayLimitsSchema>;

type Registrar = {
  getHandler(protocol: string): {
    handler: (stream: Stream, connection: Connection) => void | Promise<void>;
    options: StreamHandlerOptions;
  };
  handle(
    protocol: string,
    handler: (stream: Stream, connection: Connection) => void | Promise<void>,
    options: StreamHandlerOptions,
  ): Promise<void>;
};

/** A service that wraps another service's stream handler (the relay's HOP handler). */
function handlerWrapper() {
  return (components: { registrar: Registrar }) => ({
    wrap(protocol: string, before: (stream: Stream, connection: Connection) => void): void {
      const { handler, options } = components.registrar.getHandler(protocol);
      void components.registrar.handle(protocol, (stream, connection) => {
        before(stream, connection);
        return handler(stream, connection);
      }, { ...options, force: true });
    },
  });
}

/** Options of {@linkcode startRelay}. */
export type StartRelayOptions = {
  privateKey: PrivateKey;
  /** The address to listen on (`0.0.0.0` for all). */
  hostname: string;
  /** TCP and UDP (QUIC) port of the relay; the same number serves both. */
  port: number;
  /** UDP ports of the echo service. */
  echoPorts: readonly number[];
  limits?: Partial<RelayLimits>;
  /**
   * Other relays' multiaddrs (with `/p2p/<id>`): the directory's servers
   * join into one DHT, so a consumer who knows any of them finds every rig.
   */
  peers?: readonly string[];
  /** How often an unreachable peer relay is dialled again, ms. @default {30000} */
  peerRetryMs?: number;
  onEvent?: (event: string, fields: Record<string, unknown>) => void;
};

/** A running relay. */
export type Relay = {
  peerId: string;
  /** The multiaddrs agents put in `nat.relays`. */
  addrs: string[];
  echoPorts: number[];
  limits: RelayLimits;
  /** How many other directory servers (relays) this relay's DHT knows. */
  directoryPeers(): number;
  stop(): Promise<void>;
};

/**
 * Starts a relay.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { generateKeyPair } from "@libp2p/crypto/keys";
 * import { startRelay } from "./relay.ts";
 * const relay = await startRelay({
 *   privateKey: await generateKeyPair("Ed25519"), hostname: "127.0.0.1", port: 0, echoPorts: [0, 0],
 * });
 * assert.ok(relay.addrs.some((a) => a.includes("/quic-v1/p2p/")));
 * assert.equal(relay.limits.maxReservations, 1024);
 * await relay.stop();
 * ```
 */
export async function startRelay(options: StartRelayOptions): Promise<Relay> {
  const limits = relayLimitsSchema.parse(options.limits ?? {});
  const node = await createLibp2p({
    privateKey: options.privateKey,
    addresses: {
      listen: [
        `/ip4/${options.hostname}/tcp/${options.port}`,
        `/ip4/${options.hostname}/udp/${options.port}/quic-v1`,
      ],
    },
    transports: [tcp(), quic()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux() as unknown as NonNullable<Libp2pOptions["streamMuxers"]>[number]],
    services: {
      identify: identify(),
      ping: ping(),
      hopCap: handlerWrapper(),
      dht: rigDirectoryService("server"),
      relay: circuitRelayServer({
        reservations: {
          maxReservations: limits.maxReservations,
          reservationTtl: limits.reservationTtlMs,
          applyDefaultLimit: true,
          defaultDataLimit: BigInt(limits.dataBytesPerConnection),
          defaultDurationLimit: limits.durationMsPerConnection,
        },
        maxInboundHopStreams: 256,
        maxOutboundStopStreams: 256,
      }),
    },
    connectionManager: { maxConnections: limits.maxReservations * 2 + 64 },
  });
  const cap = peerBandwidthCap(limits.peerBytesPerSecond);
  node.services.hopCap.wrap(HOP_PROTOCOL, cap); // streams the peers open
  await node.use(STOP_PROTOCOL, [asMiddleware(cap)]); // streams the relay opens
  let echo;
  try {
    echo = await startUdpEcho({ hostname: options.hostname, ports: options.echoPorts });
  } catch (cause) {
    await node.stop();
    throw cause;
  }
  // the other relays: dialled now and whenever their connection is gone
  const peers = (options.peers ?? []).map((a) => multiaddr(a));
  const states = new Map<string, "joined" | "unreachable">(); // reported once per change
  const joinPeers = async () => {
    const connected = new Set(node.getConnections().map((c) => c.remotePeer.toString()));
    for (const peer of peers) {
      const id = peer.getComponents().findLast((c) => c.name === "p2p")?.value ?? peer.toString();
      if (connected.has(id)) continue;
      let state: "joined" | "unreachable";
      let reason = "";
      try {
        await node.dial(peer, { signal: AbortSignal.timeout(10_000) });
        state = "joined";
      } catch (error) {
        state = "unreachable";
        reason = (error as Error).message;
      }
      if (states.get(id) === state) continue;
      states.set(id, state);
      options.onEvent?.(`peer relay ${state}`, {
        peer: peer.toString(),
        ...(reason === "" ? {} : { reason }),
      });
    }
  };
  void joinPeers();
  const peerTimer = peers.length === 0
    ? undefined
    : setInterval(() => void joinPeers(), options.peerRetryMs ?? 30_000);
  return {
    peerId: node.peerId.toString(),
    addrs: node.getMultiaddrs().map((a) => a.toString()),
    echoPorts: echo.ports,
    limits,
    directoryPeers: () =>
      (node.services.dht as unknown as { routingTable: { size: number } }).routingTable.size,
    stop: async () => {
      clearInterval(peerTimer);
      await echo.close();
      await node.stop();
    },
  };
}
