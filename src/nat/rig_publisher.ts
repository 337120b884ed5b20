/**
 * The rig's side of being found: keeps a signed record of its peer id and
 * current addresses (direct ones and relay circuits), publishes it on the
 * relays' DHT at start, whenever its addresses change or a relay (re)connects,
 * and before it expires,
 * and answers {@linkcode RIG_RECORD_PROTOCOL_ID} with it (what `--rig`
 * clients check). A failed publish is retried with backoff; each change of
 * outcome is reported once.
 *
 * @module
 */
import type { IdentifyResult, Stream } from "@libp2p/interface";
import type { Address } from "viem";
import { encodeFrame, sendBytes } from "./_framing.ts";
import type { NatHost } from "./host.ts";
import { publishRigRecord, RIG_DHT_PROTOCOL_ID } from "./rig_directory.ts";
import {
  encodeRigRecord,
  MAX_RIG_RECORD_ADDRS,
  RIG_RECORD_PROTOCOL_ID,
  type RigRecordSigner,
  type SignedRigRecord,
  signRigRecord,
} from "./rig_record.ts";

/** Options of {@linkcode startRigPublisher}. */
export type StartRigPublisherOptions = {
  /** The rig's Ethereum account: signs the record. */
  signer: RigRecordSigner;
  chainId: number;
  market: Address;
  /** How long each record is valid, s. @default {3600} */
  ttlSeconds?: number | undefined;
  /** Republish this often even when nothing changed, ms. @default {ttl / 3} */
  refreshMs?: number | undefined;
  /** Wait this long after an address change before publishing (changes come in bursts), ms. @default {500} */
  settleMs?: number | undefined;
  /** Called on each change of outcome (published, not published): for logs. */
  onEvent?: ((event: string, fields: Record<string, unknown>) => void) | undefined;
  /** Called with each record signed (published or not): the agent keeps it in a file too. */
  onSigned?: ((record: SignedRigRecord) => void) | undefined;
  /** Called after every successful publish (a refresh too). */
  onPublished?:
    | ((info: { seq: bigint; stored: number; relays: string[]; addrs: string[] }) => void)
    | undefined;
};

/** A running publisher. */
export type RigPublisher = {
  /** The record last signed (undefined before the first). */
  current(): SignedRigRecord | undefined;
  /** Signs and publishes now; resolves with how many relays stored it. */
  publish(): Promise<{ stored: number }>;
  stop(): Promise<void>;
};

/**
 * The addresses worth listing, at most {@linkcode MAX_RIG_RECORD_ADDRS}:
 * relay circuits first (they work from anywhere), then direct ones.
 */
export function recordAddrs(addrs: readonly string[], peerId: string): string[] {
  const withPeer = [...new Set(addrs)].map((a) =>
    a.endsWith(`/p2p/${peerId}`) ? a : `${a}/p2p/${peerId}`
  );
  const circuits = withPeer.filter((a) => a.includes("/p2p-circuit"));
  const direct = withPeer.filter((a) => !a.includes("/p2p-circuit"));
  return [...circuits, ...direct].slice(0, MAX_RIG_RECORD_ADDRS);
}

/**
 * Starts publishing the rig's record on `host` (its DHT and the record protocol).
 *
 * @example
 * ```ts ignore
 * const publisher = await startRigPublisher(host, { signer: account, chainId, market });
 * await publisher.stop();
 * ```
 */
export async function startRigPublisher(
  host: NatHost,
  options: StartRigPublisherOptions,
): Promise<RigPublisher> {
  const ttlSeconds = options.ttlSeconds ?? 3600;
  const refreshMs = options.refreshMs ?? (ttlSeconds * 1000) / 3;
  const settleMs = options.settleMs ?? 500;
  let record: SignedRigRecord | undefined;
  let lastSeq = 0n;
  let stopped = false;
  // aborts a publish in flight at stop: a DHT put can wait 20 s for relays that never answer
  const stopping = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let lastOutcome: string | undefined;
  let running: Promise<{ stored: number }> | undefined;
  let changedWhileRunning = false;

  const sign = async (): Promise<SignedRigRecord> => {
    const now = BigInt(Date.now());
    lastSeq = now > lastSeq ? now : lastSeq + 1n; // increasing, across restarts too (ms clock)
    record = await signRigRecord(options.signer, {
      chainId: options.chainId,
      market: options.market,
      address: options.signer.address,
      peerId: host.peerId,
      addrs: recordAddrs(host.node.getMultiaddrs().map((a) => a.toString()), host.peerId),
      seq: lastSeq,
      expiry: now / 1000n + BigInt(ttlSeconds),
    });
    options.onSigned?.(record);
    return record;
  };
  const report = (outcome: string, fields: Record<string, unknown>) => {
    if (outcome === lastOutcome) return; // once per change of state
    lastOutcome = outcome;
    options.onEvent?.(outcome, fields);
  };
  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => void publish().catch(() => {}), ms);
  };
  const publish = (): Promise<{ stored: number }> => {
    running ??= (async () => {
      try {
        const signed = await sign();
        if (signed.addrs.length === 0) throw new Error("the rig has no address yet");
        const { stored, relays } = await publishRigRecord(host.node.services.dht, signed, {
          signal: AbortSignal.any([AbortSignal.timeout(20_000), stopping.signal]),
        });
        if (stored === 0) throw new Error("no relay stored it");
        failures = 0;
        report("rig record published", { stored, addrs: signed.addrs.length });
        options.onPublished?.({ seq: signed.seq, stored, relays, addrs: signed.addrs });
        schedule(refreshMs);
        return { stored };
      } catch (error) {
        failures++;
        report("rig record not published", { reason: (error as Error).message });
        schedule(Math.min(60_000, 1_000 * 2 ** Math.min(failures, 6)));
        throw error;
      } finally {
        running = undefined;
        if (changedWhileRunning) {
          changedWhileRunning = false;
          schedule(settleMs);
        }
      }
    })();
    return running;
  };
  const onAddressChange = () => {
    if (running !== undefined) changedWhileRunning = true;
    else schedule(settleMs);
  };
  host.node.addEventListener("self:peer:update", onAddressChange);
  // a directory server (relay) that (re)connects, one restarted empty say, gets the record
  // too: its identify answer naming the DHT's protocol is a reason to publish, like an address
  const onIdentify = (event: CustomEvent<IdentifyResult>) => {
    if (event.detail.protocols.includes(RIG_DHT_PROTOCOL_ID)) onAddressChange();
  };
  host.node.addEventListener("peer:identify", onIdentify);
  await host.node.handle(RIG_RECORD_PROTOCOL_ID, async (stream: Stream) => {
    try {
      const signed = record !== undefined && record.expiry > BigInt(Date.now()) / 1000n + 60n
        ? record
        : await sign();
      await sendBytes(stream, encodeFrame(encodeRigRecord(signed)));
      await stream.close();
    } catch {
      stream.abort(new Error("cannot send the rig record"));
    }
  }, { runOnLimitedConnection: true, maxInboundStreams: 64 });
  schedule(0);
  return {
    current: () => record,
    publish,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      stopping.abort(new Error("the rig publisher stopped"));
      host.node.removeEventListener("self:peer:update", onAddressChange);
      host.node.removeEventListener("peer:identify", onIdentify);
      await host.node.unhandle(RIG_RECORD_PROTOCOL_ID).catch(() => {});
      await running?.catch(() => {});
    },
  };
}
