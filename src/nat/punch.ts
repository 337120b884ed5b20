/**
 * The direct path: the project's own punch over the relayed connection
 * (DESIGN.md "libp2p and NAT"; stock DCUtR gives no direct connection under
 * Deno). The consumer, connected to the relay over QUIC, tells the rig the
 * QUIC address the relay observed for it. The rig binds a fresh UDP port,
 * learns its public mapping from the echo service, sends a few packets to
 * the consumer's observed address (opening its own NAT to it), closes the
 * socket, starts a QUIC listener on the same port and answers with the
 * mapped address; the consumer dials it from the same QUIC socket the relay
 * saw. Neither side punches when its NAT is symmetric.
 *
 * @module
 */
import type { Connection, Listener, PeerId, Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";
import { FrameReader, sendJsonFrame, streamBytes } from "./_framing.ts";
import type { NatHost } from "./host.ts";
import { bindUdp, probeMapping } from "./udp_echo.ts";

/** libp2p protocol id of the punch request. */
export const PUNCH_PROTOCOL_ID = "/sonm/punch/1.0.0";
const MAX_PUNCH_BYTES = 1024;
const PUNCH_PACKETS = 4;

const QUIC_ADDR = /^\/ip4\/(\d{1,3}(?:\.\d{1,3}){3})\/udp\/(\d{1,5})\/quic-v1$/;

const punchRequestSchema = z.strictObject({
  /** The consumer's QUIC address as the relay observed it. */
  observed: z.string().max(128).regex(QUIC_ADDR, "must be /ip4/<ip>/udp/<port>/quic-v1"),
});
const punchResponseSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("dial"), addr: z.string().max(256) }),
  z.strictObject({ kind: z.literal("refused"), reason: z.string().max(512) }),
]);
type PunchResponse = z.output<typeof punchResponseSchema>;

/** Classes that can be punched through. */
export function isPunchable(connectivity: string): boolean {
  return connectivity === "cone" || connectivity === "public";
}

/**
 * Serves punch requests on the rig's host; returns the unregister function.
 * Refuses (and sends nothing) when the rig's class is not punchable.
 */
export async function servePunch(
  host: NatHost,
  options: { onEvent?: (event: string, fields: Record<string, unknown>) => void } = {},
): Promise<() => Promise<void>> {
  let busy = false; // one punch at a time: each one opens a port
  // each punch leaves a QUIC listener for its consumer: closed when that peer goes away
  const listeners = new Map<string, Listener>();
  const release = (peer: string) => {
    const listener = listeners.get(peer);
    listeners.delete(peer);
    void listener?.close().catch(() => {});
  };
  const onDisconnect = (event: CustomEvent<PeerId>) => release(event.detail.toString());
  host.node.addEventListener("peer:disconnect", onDisconnect);
  await host.node.handle(PUNCH_PROTOCOL_ID, async (stream: Stream, connection: Connection) => {
    const peer = connection.remotePeer.toString();
    let response: PunchResponse;
    try {
      const reader = new FrameReader(streamBytes(stream)[Symbol.asyncIterator]());
      const frame = await withTimeout(reader.next(MAX_PUNCH_BYTES), 5_000, "no punch request");
      const request = punchRequestSchema.parse(JSON.parse(new TextDecoder().decode(frame)));
      if (busy) throw new Error("another punch is in progress");
      busy = true;
      try {
        release(peer); // a new punch from the same consumer replaces its old listener
        const punched = await punchAndListen(host, request.observed);
        if (punched.listener !== undefined) listeners.set(peer, punched.listener);
        response = { kind: "dial", addr: punched.addr };
        options.onEvent?.("punched", { observed: request.observed, listen: response.addr });
      } finally {
        busy = false;
      }
    } catch (cause) {
      response = { kind: "refused", reason: (cause as Error).message.slice(0, 512) };
      options.onEvent?.("punch refused", { reason: response.reason });
    }
    try {
      await sendJsonFrame(stream, response);
      await stream.close();
    } catch {
      stream.abort(new Error("punch answer failed"));
    }
  }, { runOnLimitedConnection: true, maxInboundStreams: 16 });
  return async () => {
    host.node.removeEventListener("peer:disconnect", onDisconnect);
    for (const peer of [...listeners.keys()]) release(peer);
    await host.node.unhandle(PUNCH_PROTOCOL_ID);
  };
}

async function punchAndListen(
  host: NatHost,
  observed: string,
): Promise<{ addr: string; listener: Listener | undefined }> {
  const status = host.status();
  if (!isPunchable(status.class)) throw new Error(`rig NAT is ${status.class}: no punch`);
  const echoHost = host.echoHost();
  if (echoHost === undefined) throw new Error("no echo service known");
  const [, ip, port] = observed.match(QUIC_ADDR) ?? [];
  const socket = await bindUdp(0);
  const localPort = socket.address().port;
  let mapping;
  try {
    const probe = await probeMapping({ hostname: echoHost, ports: host.echoPorts, socket });
    if (probe.class !== "cone" && probe.class !== "public") {
      throw new Error(`fresh port maps as ${probe.class}: no punch`);
    }
    mapping = probe.mapping;
    const packet = new TextEncoder().encode("sonm-punch");
    for (let i = 0; i < PUNCH_PACKETS; i++) {
      // wait for each send: closing the socket drops datagrams still queued
      await new Promise<void>((resolve) => socket.send(packet, Number(port), ip, () => resolve()));
    }
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  const control = host.node.services.listenerControl;
  const before = new Set(control.listeners());
  await control.listen([multiaddr(`/ip4/0.0.0.0/udp/${localPort}/quic-v1`)]);
  return {
    addr: `/ip4/${mapping.address}/udp/${mapping.port}/quic-v1/p2p/${host.peerId}`,
    listener: control.listeners().find((l) => !before.has(l)),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Whether a connection is relayed (its remote address goes through a circuit). */
export function isRelayed(connection: Connection): boolean {
  return connection.remoteAddr.toString().includes("/p2p-circuit");
}

/** The outcome of {@linkcode requestPunch}. */
export type PunchOutcome =
  | { result: "direct"; connection: Connection; ms: number }
  | { result: "not-attempted"; reason: string }
  | { result: "failed"; reason: string; ms: number };

/**
 * The consumer's side: asks the rig over the relayed connection to punch,
 * then dials the address it answers with. `observed` is this host's QUIC
 * address as the relay saw it (identify on the relay connection).
 */
export async function requestPunch(
  host: NatHost,
  relayed: Connection,
  observed: string | undefined,
  options: { timeoutMs?: number } = {},
): Promise<PunchOutcome> {
  const own = host.status().class;
  if (!isPunchable(own)) return { result: "not-attempted", reason: `own NAT is ${own}` };
  if (observed === undefined || !QUIC_ADDR.test(observed)) {
    return { result: "not-attempted", reason: "the relay saw no QUIC address for this host" };
  }
  const started = performance.now();
  const signal = AbortSignal.timeout(options.timeoutMs ?? 5_000);
  try {
    const stream = await relayed.newStream(PUNCH_PROTOCOL_ID, {
      runOnLimitedConnection: true,
      signal,
    });
    await sendJsonFrame(stream, { observed });
    const reader = new FrameReader(streamBytes(stream)[Symbol.asyncIterator]());
    const frame = await reader.next(MAX_PUNCH_BYTES);
    await stream.close().catch(() => {});
    const response = punchResponseSchema.parse(JSON.parse(new TextDecoder().decode(frame)));
    if (response.kind === "refused") {
      return { result: "not-attempted", reason: `rig: ${response.reason}` };
    }
    const connection = await host.node.dial(multiaddr(response.addr), { force: true, signal });
    if (isRelayed(connection)) throw new Error("dial returned the relayed connection");
    return { result: "direct", connection, ms: performance.now() - started };
  } catch (cause) {
    return {
      result: "failed",
      reason: (cause as Error).message,
      ms: performance.now() - started,
    };
  }
}
