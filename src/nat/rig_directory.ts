/**
 * Where rigs' records live: a Kademlia DHT (`@libp2p/kad-dht`) of our own
 * (`/sonm/kad/1.0.0`, apart from the IPFS one), served by the relays; rigs
 * and consumers are DHT clients. A rig PUTs its signed record under
 * `/sonm/rig/<chain>/<market>/<address>`; the relays store it after the
 * validator checked it, and answer GETs with it and with the other relays
 * they know, so a consumer who knows any one relay of the mesh finds a rig
 * reserved on another. Validator and selector: rig_record.ts.
 *
 * @module
 */
import type { Connection, Stream } from "@libp2p/interface";
import { EventTypes, type KadDHT, kadDHT, passthroughMapper } from "@libp2p/kad-dht";
import type { Address } from "viem";
import { FrameReader, streamBytes } from "./_framing.ts";
import { NatError } from "./errors.ts";
import {
  decodeRigRecord,
  encodeRigRecord,
  MAX_RIG_RECORD_BYTES,
  RIG_RECORD_NAMESPACE,
  RIG_RECORD_PROTOCOL_ID,
  rigRecordKey,
  selectRigRecord,
  type SignedRigRecord,
  validateRigRecordEntry,
} from "./rig_record.ts";

/** libp2p protocol id of the rigs' DHT. */
export const RIG_DHT_PROTOCOL_ID = "/sonm/kad/1.0.0";

/** The DHT service of a host: `server` on relays, `client` on rigs and consumers. */
export function rigDirectoryService(
  mode: "client" | "server",
): ReturnType<typeof kadDHT> {
  return kadDHT({
    protocol: RIG_DHT_PROTOCOL_ID,
    clientMode: mode === "client",
    validators: { [RIG_RECORD_NAMESPACE]: (key, value) => validateRigRecordEntry(key, value) },
    selectors: { [RIG_RECORD_NAMESPACE]: selectRigRecord },
    // relays and rigs are reached at private addresses too (a LAN, the tests' loopback)
    peerInfoMapper: passthroughMapper,
    // a consumer's process lives a second: ask the relays it dialled, without the
    // self-query first (lookups wait for a relay in the routing table instead)
    allowQueryWithZeroPeers: true,
    initialQuerySelfInterval: mode === "server" ? 1_000 : 3_600_000,
    // relays answer within a LAN's or the internet's round trip; a dead one is skipped
    networkDialTimeout: { minTimeout: 2_000, maxTimeout: 5_000 },
  });
}

/** Waits until the DHT knows at least one server (a relay), or the signal aborts. */
async function untilServerKnown(dht: KadDHT, signal: AbortSignal): Promise<void> {
  const table = (dht as KadDHT & { routingTable: RoutingTableLike }).routingTable;
  if (table.size > 0) return;
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      clearInterval(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      done();
      reject(new NatError("no relay of the rigs' directory answered"));
    };
    // the routing table fills after identify and a DHT ping: poll, it takes a few ms
    const timer = setInterval(() => {
      if (table.size > 0) {
        done();
        resolve();
      }
    }, 5);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

type RoutingTableLike = { size: number };

/** Options of {@linkcode publishRigRecord}. */
export type PublishRigRecordOptions = { signal?: AbortSignal | undefined };

/**
 * Stores the record on the DHT servers closest to its key (every relay of a
 * small mesh); returns how many accepted it, and which (peer ids).
 *
 * @throws {NatError} when no server is known within the signal's time
 */
export async function publishRigRecord(
  dht: KadDHT,
  signed: SignedRigRecord,
  options: PublishRigRecordOptions = {},
): Promise<{ stored: number; relays: string[] }> {
  const signal = options.signal ?? AbortSignal.timeout(30_000);
  await untilServerKnown(dht, signal);
  const key = rigRecordKey(signed);
  const relays: string[] = [];
  for await (const event of dht.put(key, encodeRigRecord(signed), { signal })) {
    if (event.type === EventTypes.PEER_RESPONSE && event.messageName === "PUT_VALUE") {
      relays.push(event.from.toString());
    }
  }
  return { stored: relays.length, relays };
}

/** Options of {@linkcode findRigRecord}. */
export type FindRigRecordOptions = {
  chainId: number;
  market: Address;
  /** The rig's Ethereum address (a deal's supplier). */
  address: Address;
  /**
   * After the first valid record, how long to wait for a newer one from
   * other relays before answering. @default {150}
   */
  graceMs?: number | undefined;
  signal?: AbortSignal | undefined;
};

/**
 * Looks a rig's record up on the DHT through the relays this host is
 * connected to: the newest valid record (signed by `address`, for this chain
 * and market, unexpired), or undefined when no relay has one.
 *
 * @throws {NatError} when no relay of the directory can be reached
 */
export async function findRigRecord(
  dht: KadDHT,
  options: FindRigRecordOptions,
): Promise<SignedRigRecord | undefined> {
  const signal = options.signal ?? AbortSignal.timeout(10_000);
  await untilServerKnown(dht, signal);
  const table = (dht as KadDHT & { routingTable: RoutingTableLike }).routingTable;
  // Kademlia follows only the relays a response names that are closer to the key than the
  // one that named them, so a record held only by a farther relay (one that joined the mesh
  // after the rig last published) is missed; the relays learned meanwhile are in the table
  // now, and a second query starts from all of them.
  for (let attempt = 0; attempt < 2; attempt++) {
    const known = table.size;
    const found = await queryRigRecord(dht, options, signal);
    if (found !== undefined || signal.aborted) return found;
    const deadline = Date.now() + 500;
    while (table.size <= known && Date.now() < deadline && !signal.aborted) {
      await new Promise((r) => setTimeout(r, 10));
    }
    if (table.size <= known) return undefined;
  }
  return undefined;
}

/** One DHT query: the newest valid record any relay on the way answered with. */
async function queryRigRecord(
  dht: KadDHT,
  options: FindRigRecordOptions,
  signal: AbortSignal,
): Promise<SignedRigRecord | undefined> {
  const key = rigRecordKey(options);
  const found: Uint8Array[] = [];
  const early = new AbortController();
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const consider = async (value: Uint8Array) => {
    try {
      await validateRigRecordEntry(key, value);
    } catch {
      return; // a relay may hold garbage or an expired record: it loses
    }
    found.push(value);
    graceTimer ??= setTimeout(() => early.abort(), options.graceMs ?? 150);
  };
  try {
    for await (
      const event of dht.get(key, { signal: AbortSignal.any([signal, early.signal]) })
    ) {
      if (event.type === EventTypes.PEER_RESPONSE && event.record !== undefined) {
        await consider(event.record.value);
      } else if (event.type === EventTypes.VALUE) {
        await consider(event.value);
      }
    }
  } catch (cause) {
    if (!early.signal.aborted && found.length === 0) {
      if (signal.aborted) return undefined;
      throw new NatError(`cannot look the rig up: ${(cause as Error).message}`, { cause });
    }
  } finally {
    clearTimeout(graceTimer);
  }
  if (found.length === 0) return undefined;
  return decodeRigRecord(found[selectRigRecord(key, found)]!);
}

/**
 * Asks a connected peer for its record ({@linkcode RIG_RECORD_PROTOCOL_ID}):
 * decoded, not yet verified (see `verifyRigRecord`).
 *
 * @throws {NatError} when the peer does not answer with a readable record
 */
export async function fetchRigRecord(
  connection: Connection,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<SignedRigRecord> {
  const signal = options.signal ?? AbortSignal.timeout(5_000);
  let stream: Stream | undefined;
  try {
    stream = await connection.newStream(RIG_RECORD_PROTOCOL_ID, {
      runOnLimitedConnection: true,
      signal,
    });
    const reader = new FrameReader(streamBytes(stream)[Symbol.asyncIterator]());
    const frame = await reader.next(MAX_RIG_RECORD_BYTES);
    if (frame === undefined) throw new Error("the peer closed the stream without a record");
    return decodeRigRecord(frame);
  } catch (cause) {
    throw new NatError(
      `the peer ${connection.remotePeer} sent no rig record: ${(cause as Error).message}`,
      { cause, hints: ["a rig proves who it is with its record: is the peer a sonm-agent rig?"] },
    );
  } finally {
    stream?.abort(new Error("done"));
  }
}
