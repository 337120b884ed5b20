/**
 * How a consumer reaches a rig, given the addresses its record lists (or the
 * one `--rig` gave): the direct ones first (a public rig, the same LAN or
 * machine), and, a moment later or once they fail, a relay's circuit. On a
 * relayed connection it then tries the punch for a direct one, unless either
 * NAT is symmetric; the NAT probe for that runs while the circuit is dialled.
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
   * (a direct address of a public rig works too). Ignored when `addrs` is given.
   */
  rigAddr?: string;
  /** The rig's addresses, from its record: direct ones and circuits, each ending in its peer id. */
  addrs?: readonly string[];
  /** Use direct paths: the direct addresses and the punch (default true). */
  direct?: boolean;
  /**
   * How long the direct addresses have alone before a circuit is dialled
   * too (happy eyeballs). @default {250}
   */
  directHeadStartMs?: number;
  timeoutMs?: number;
  onObserved?: (addr: string | undefined) => void;
};

/** The connections to a rig, the path in use, and how long each step took. */
export type RigConnection = {
  /** The connection to use: a direct one when there is one, else the relayed one. */
  connection: Connection;
  path: "direct" | "relay";
  /** The relayed connection, when a circuit was dialled. */
  relayed: Connection | undefined;
  /** Ms from the first dial to the first connection. */
  relayedMs: number;
  /** This host's address as the relay observed it (what the punch aims at). */
  observed: string | undefined;
  punch: PunchOutcome;
};

/**
 * Collects identify answers while a connection is being made; `of(connection)`
 * gives the address the peer observed on that very connection (another
 * connection to the same peer, over another transport, tells another mapping).
 */
function watchIdentify(host: NatHost, signal: AbortSignal) {
  const seen = new Map<string, string | undefined>();
  const waiters = new Map<string, (addr: string | undefined) => void>();
  const onIdentify = (event: CustomEvent<IdentifyResult>) => {
    const id = event.detail.connection.id;
    const addr = event.detail.observedAddr?.toString();
    seen.set(id, addr);
    waiters.get(id)?.(addr);
  };
  host.node.addEventListener("peer:identify", onIdentify);
  const stop = () => host.node.removeEventListener("peer:identify", onIdentify);
  return {
    stop,
    of(connection: Connection): Promise<string | undefined> {
      if (seen.has(connection.id)) return Promise.resolve(seen.get(connection.id));
      return new Promise((resolve) => {
        const timer = setTimeout(() => done(undefined), 2_000);
        const done = (addr: string | undefined) => {
          clearTimeout(timer);
          waiters.delete(connection.id);
          signal.removeEventListener("abort", onAbort);
          resolve(addr);
        };
        const onAbort = () => done(undefined);
        waiters.set(connection.id, done);
        signal.addEventListener("abort", onAbort);
      });
    },
  };
}

const isCircuit = (addr: string) => addr.includes("/p2p-circuit");

/** The IP or DNS name of a multiaddr (where its echo service runs, for a relay). */
function hostOf(addr: string): string | undefined {
  return multiaddr(addr).getComponents().find((c) =>
    ["ip4", "ip6", "dns", "dns4", "dns6"].includes(c.name)
  )?.value;
}

/** The relay part of a circuit address (`<relay>/p2p-circuit/...`). */
function relayOf(circuit: string): string {
  return circuit.split("/p2p-circuit")[0]!;
}

/**
 * Circuits through a relay this host is already connected to come first (a
 * consumer's own relays are warm from the lookup), then QUIC ones (the punch
 * needs the relay to see a QUIC mapping), then the rest.
 */
function orderCircuits(host: NatHost, circuits: readonly string[]): string[] {
  const connected = new Set(host.node.getConnections().map((c) => c.remotePeer.toString()));
  const rank = (addr: string) => {
    const relayPeer = relayOf(addr).match(/\/p2p\/([^/]+)$/)?.[1];
    return (relayPeer !== undefined && connected.has(relayPeer) ? 0 : 2) +
      (addr.includes("/quic-v1") ? 0 : 1);
  };
  return circuits.toSorted((a, b) => rank(a) - rank(b));
}

type Reached = { connection: Connection; observed: string | undefined; relayed: boolean };

/** Private, loopback and link-local IPv4 ranges: a LAN's or this machine's addresses. */
const PRIVATE_IP4 = /^\/ip4\/(10\.|127\.|169\.254\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/;

/** Whether a direct address may be reachable from anywhere (not private, loopback, link-local). */
function isPublic(addr: string): boolean {
  return /^\/(ip4|ip6|dns|dns4|dns6)\//.test(addr) && !PRIVATE_IP4.test(addr) &&
    !addr.startsWith("/ip6/::1/") && !/^\/ip6\/f[cde]/i.test(addr);
}

/**
 * The order to try a rig's direct addresses in: public ones first, then
 * private, loopback last (libp2p's order), QUIC before TCP within each (its
 * handshake is native and one round trip shorter).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { directDialOrder } from "./connect.ts";
 * assert.deepEqual(directDialOrder([
 *   "/ip4/127.0.0.1/udp/1/quic-v1", "/ip4/10.0.1.2/tcp/1", "/ip4/203.0.113.7/tcp/1",
 *   "/ip4/203.0.113.7/udp/1/quic-v1",
 * ]), [
 *   "/ip4/203.0.113.7/udp/1/quic-v1", "/ip4/203.0.113.7/tcp/1", "/ip4/10.0.1.2/tcp/1",
 *   "/ip4/127.0.0.1/udp/1/quic-v1",
 * ]);
 * ```
 */
export function directDialOrder(addrs: readonly string[]): string[] {
  const rank = (addr: string) =>
    (addr.startsWith("/ip4/127.") ? 4 : PRIVATE_IP4.test(addr) ? 2 : 0) +
    (addr.includes("/quic-v1") ? 0 : 1);
  return addrs.toSorted((a, b) => rank(a) - rank(b));
}

/**
 * Dials one address as a connection of its own: without its `/p2p/` part, so
 * that libp2p does not join it to a dial of the same peer already under way
 * (another address, another transport), then checks the peer id itself.
 */
async function dialBare(host: NatHost, addr: string, signal: AbortSignal): Promise<Connection> {
  const expected = addr.match(/\/p2p\/([^/]+)$/)?.[1];
  const connection = await host.node.dial(multiaddr(addr.replace(/\/p2p\/[^/]+$/, "")), {
    signal,
    force: true,
  });
  if (expected !== undefined && connection.remotePeer.toString() !== expected) {
    await connection.close().catch(() => {});
    throw new NatError(`${addr} answered as ${connection.remotePeer}`);
  }
  return connection;
}

/**
 * Dials the direct addresses in {@linkcode directDialOrder}, each as its own
 * dial, the next one starting when the previous failed or after
 * `staggerMs` (happy eyeballs, RFC 8305): libp2p would join dials to one peer
 * into one job that tries the addresses in turn, and an address that never
 * answers (the rig's LAN address, seen from elsewhere) would hold up the
 * others and the relay's circuit. Only a few connections are opened at once:
 * a rig's libp2p refuses more than 5 new ones a second from one host (QUIC
 * only learns it when the first stream fails). The peer id is checked here;
 * the first connection wins, any later one is closed.
 */
async function dialDirect(
  host: NatHost,
  addrs: readonly string[],
  signal: AbortSignal,
  staggerMs = 150,
): Promise<Reached> {
  const ordered = directDialOrder(addrs);
  const dialOne = (addr: string) => dialBare(host, addr, signal);
  const attempts: Promise<Connection>[] = [];
  const failures: string[] = [];
  let winner: Connection | undefined;
  const winnerFound = new Promise<Connection>((resolve, reject) => {
    let settled = 0;
    const start = (index: number) => {
      if (index >= ordered.length || winner !== undefined || signal.aborted) return;
      let next: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
        next = undefined;
        start(index + 1);
      }, staggerMs);
      const attempt = dialOne(ordered[index]!);
      attempts.push(attempt);
      attempt.then((connection) => {
        clearTimeout(next);
        winner ??= connection;
        resolve(winner);
      }, (error) => {
        failures.push(`${ordered[index]}: ${(error as Error).message}`);
        if (next !== undefined) { // failed before its stagger: the next one now
          clearTimeout(next);
          next = undefined;
          start(index + 1);
        }
        if (++settled === ordered.length || signal.aborted) {
          reject(new NatError(failures.join("; ")));
        }
      });
    };
    start(0);
  });
  const connection = await winnerFound;
  for (const attempt of attempts) {
    void attempt.then((c) => c === connection ? undefined : c.close().catch(() => {}), () => {});
  }
  return { connection, observed: undefined, relayed: isRelayed(connection) };
}

async function dialCircuits(
  host: NatHost,
  circuits: readonly string[],
  signal: AbortSignal,
  options: { needObserved: boolean; onObserved: ((addr: string | undefined) => void) | undefined },
): Promise<Reached> {
  const failures: string[] = [];
  for (const circuit of circuits) {
    let seen: string | undefined;
    try {
      seen = await connectToRelay(host, multiaddr(relayOf(circuit)), {
        signal,
        observe: options.needObserved,
      });
    } catch (cause) {
      failures.push(`relay ${relayOf(circuit)}: ${(cause as Error).message}`);
      continue;
    }
    if (options.needObserved) options.onObserved?.(seen);
    try {
      const connection = await host.node.dial(multiaddr(circuit), { signal });
      return {
        connection,
        observed: seen?.includes("/quic-v1") ? seen.replace(/\/p2p\/[^/]+$/, "") : undefined,
        relayed: isRelayed(connection),
      };
    } catch (cause) {
      failures.push(`${circuit}: ${(cause as Error).message}`);
    }
  }
  throw new NatError(`cannot reach the rig through a relay: ${failures.join("; ")}`, {
    hints: [
      "check that the rig is running and holds a reservation on its relays",
      "allow outbound UDP (QUIC) or TCP to the relays' ports",
    ],
  });
}

/**
 * Connects to a circuit's relay over the circuit's own transport, so that
 * the circuit rides on it: libp2p reuses any open connection to the relay,
 * and one the lookup left over TCP would carry the task's bytes through
 * JS-side encryption instead of QUIC's native one. Other connections to the
 * relay are closed. With `observe`, returns this host's address as the relay
 * observed it on that connection (identify's answer: what the punch aims at).
 */
async function connectToRelay(
  host: NatHost,
  relayAddr: ReturnType<typeof multiaddr>,
  options: { signal: AbortSignal; observe: boolean },
): Promise<string | undefined> {
  const { signal } = options;
  const relayPeer = relayAddr.getComponents().findLast((c) => c.name === "p2p")?.value;
  const quic = relayAddr.toString().includes("/quic-v1");
  const toRelay = host.node.getConnections().filter((c) => c.remotePeer.toString() === relayPeer);
  const existing = toRelay.find((c) => c.remoteAddr.toString().includes("/quic-v1") === quic);
  // a new connection runs identify by itself: its answer carries the observed address
  const watch = existing === undefined && options.observe ? watchIdentify(host, signal) : undefined;
  let connection: Connection;
  try {
    connection = existing ?? await dialBare(host, relayAddr.toString(), signal);
    // closed before the circuit is dialled: libp2p would pick a closing one for it
    await Promise.all(
      toRelay.filter((other) => other !== connection).map((other) =>
        other.close({ signal }).catch(() => other.abort(new Error("replaced")))
      ),
    );
    if (!options.observe) return undefined;
    return await watch?.of(connection) ??
      (await host.node.services.identify.identify(connection, { signal }).catch(() => undefined))
        ?.observedAddr?.toString();
  } finally {
    watch?.stop();
  }
}

/** The first of several attempts to succeed; all failures when none does. */
function firstSuccess<T>(attempts: Promise<T>[]): Promise<T> {
  return new Promise((resolve, reject) => {
    let failed = 0;
    const errors: unknown[] = [];
    for (const attempt of attempts) {
      attempt.then(resolve, (error) => {
        errors.push(error);
        if (++failed === attempts.length) reject(errors);
      });
    }
  });
}

/**
 * Connects to a rig.
 *
 * @throws {NatError} when no address of the rig can be reached (says which were tried)
 */
export async function connectToRig(
  host: NatHost,
  options: ConnectToRigOptions,
): Promise<RigConnection> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const addrs = options.addrs ?? (options.rigAddr === undefined ? [] : [options.rigAddr]);
  if (addrs.length === 0) throw new NatError("the rig has no address to dial");
  const wantDirect = options.direct !== false;
  const directAddrs = wantDirect ? addrs.filter((a) => !isCircuit(a)) : [];
  const circuits = orderCircuits(host, addrs.filter(isCircuit));
  if (directAddrs.length === 0 && circuits.length === 0) {
    throw new NatError(`the rig lists no relayed address to use: ${addrs.join(", ")}`);
  }
  const started = performance.now();
  const attempts: Promise<Reached>[] = [];
  const done = new AbortController();
  const attemptSignal = AbortSignal.any([signal, done.signal]);
  let classifying: Promise<unknown> | undefined;
  if (directAddrs.length > 0) attempts.push(dialDirect(host, directAddrs, attemptSignal));
  if (circuits.length > 0) {
    // a public direct address goes first; the circuit once it failed or after a head start.
    // Private and loopback ones race the circuit: from the rig's LAN they win within a
    // millisecond, from elsewhere they never answer
    const headStart = !directAddrs.some(isPublic)
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.directHeadStartMs ?? 250);
        attempts[0]!.catch(() => {}).finally(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    attempts.push(headStart.then(() => {
      if (attemptSignal.aborted) throw new NatError("the direct path won");
      // the NAT probe matters only to a punch over a relayed connection: it runs while dialling
      if (wantDirect && host.status().class === "unknown") {
        classifying = host.classify(hostOf(relayOf(circuits[0]!))).catch(() => "unknown");
      }
      return dialCircuits(host, circuits, attemptSignal, {
        needObserved: wantDirect,
        onObserved: options.onObserved,
      });
    }));
  }
  let reached: Reached;
  try {
    reached = await firstSuccess(attempts);
  } catch (errors) {
    const messages = (errors as unknown[]).map((e) => (e as Error).message);
    throw new NatError(`cannot reach the rig at ${addrs.join(", ")}: ${messages.join("; ")}`, {
      cause: (errors as unknown[])[0],
      hints: ["check that the rig is running and holds a reservation on a relay"],
    });
  } finally {
    done.abort(); // the losing attempt stops; a connection it already made is closed on stop
  }
  const relayedMs = performance.now() - started;
  let punch: PunchOutcome;
  if (!reached.relayed) {
    punch = { result: "not-attempted", reason: "already direct" };
  } else if (!wantDirect) {
    punch = { result: "not-attempted", reason: "direct path not wanted" };
  } else {
    await classifying;
    punch = await requestPunch(host, reached.connection, reached.observed);
  }
  const connection = punch.result === "direct" ? punch.connection : reached.connection;
  return {
    connection,
    path: isRelayed(connection) ? "relay" : "direct",
    relayed: reached.relayed ? reached.connection : undefined,
    relayedMs,
    observed: reached.observed,
    punch,
  };
}
