/**
 * Keeps a reservation on each configured relay: reserves at start (QUIC
 * first, so the relay observes the UDP mapping the punch needs; TCP when UDP
 * is blocked), and reserves again when the relay connection drops (a relay
 * restart), with a capped backoff.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import type { ListenerControl } from "./_listener_control.ts";
import { NatError } from "./errors.ts";
import type { RelayState } from "./status.ts";

/** The configured relays grouped by peer id, QUIC addresses first. */
export function groupRelays(addrs: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const [index, addr] of addrs.entries()) {
    let peerId: string | undefined;
    try {
      peerId = multiaddr(addr).getComponents().findLast((c) => c.name === "p2p")?.value;
    } catch (cause) {
      throw new NatError(`nat.relays[${index}] "${addr}" is not a multiaddr`, { cause });
    }
    if (peerId === undefined) {
      throw new NatError(`nat.relays[${index}] "${addr}" has no /p2p/<relay peer id>`, {
        hints: ["the relay prints its full addresses when it starts (sonm-agent relay)"],
      });
    }
    const group = groups.get(peerId) ?? [];
    group.push(addr);
    groups.set(peerId, group);
  }
  for (const group of groups.values()) {
    group.sort((a, b) => Number(b.includes("/quic-v1")) - Number(a.includes("/quic-v1")));
  }
  return groups;
}

/** Options of {@linkcode RelayKeeper}. */
export type RelayKeeperOptions = {
  relays: readonly string[];
  /** Skip QUIC addresses (UDP blocked). */
  tcpOnly: () => boolean;
  retryMinMs?: number;
  retryMaxMs?: number;
  onEvent?: (event: string, fields: Record<string, unknown>) => void;
};

/** The reservation loop of one host. */
export class RelayKeeper {
  readonly #states = new Map<string, RelayState>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #failures = new Map<string, number>();
  readonly #busy = new Set<string>();
  #stopped = false;

  constructor(
    private readonly node: Libp2p,
    private readonly control: ListenerControl,
    private readonly options: RelayKeeperOptions,
  ) {
    for (const [peerId, addrs] of groupRelays(options.relays)) {
      this.#states.set(peerId, {
        peerId,
        addrs,
        state: "connecting",
        circuitAddrs: [],
        reservations: 0,
      });
    }
  }

  /** Starts reserving and watching; resolves after the first attempt on each relay. */
  async start(): Promise<void> {
    this.node.addEventListener("connection:close", this.#onClose);
    await Promise.all([...this.#states.keys()].map((peerId) => this.#reserve(peerId)));
  }

  stop(): void {
    this.#stopped = true;
    this.node.removeEventListener("connection:close", this.#onClose);
    for (const timer of this.#timers.values()) clearTimeout(timer);
  }

  /**
   * A copy of each relay's state, circuit addresses read fresh from the host:
   * only those a consumer can dial, through an address the rig itself was
   * given for the relay (the relay also advertises its loopback and private
   * addresses, which name nothing from elsewhere).
   */
  states(): RelayState[] {
    const advertised = this.node.getMultiaddrs().map((a) => a.toString());
    return [...this.#states.values()].map((s) => {
      const circuitAddrs = advertised.filter((a) =>
        a.includes(`/p2p/${s.peerId}/p2p-circuit`) && dialableCircuit(a, s.addrs)
      );
      const lost = s.state === "reserved" && circuitAddrs.length === 0;
      return { ...s, addrs: [...s.addrs], circuitAddrs, state: lost ? "connecting" : s.state };
    });
  }

  #onClose = (event: CustomEvent<{ remotePeer: { toString(): string } }>) => {
    const peerId = event.detail.remotePeer.toString();
    const state = this.#states.get(peerId);
    if (state === undefined || this.#stopped) return;
    if (this.node.getConnections().some((c) => c.remotePeer.toString() === peerId)) return;
    this.options.onEvent?.("relay connection lost", { relay: peerId });
    state.state = "connecting";
    this.#schedule(peerId, 0);
  };

  #schedule(peerId: string, delayMs: number): void {
    if (this.#stopped || this.#timers.has(peerId)) return;
    this.#timers.set(
      peerId,
      setTimeout(() => {
        this.#timers.delete(peerId);
        void this.#reserve(peerId);
      }, delayMs),
    );
  }

  async #reserve(peerId: string): Promise<void> {
    const state = this.#states.get(peerId);
    if (state === undefined || this.#stopped || this.#busy.has(peerId)) return;
    this.#busy.add(peerId);
    try {
      const errors: string[] = [];
      for (const addr of state.addrs) {
        if (addr.includes("/quic-v1") && this.options.tcpOnly()) continue;
        try {
          // a new circuit listener each time: closing the old one would cancel every
          // reservation (circuit-relay-v2 4.2 listener.close()), so it stays, empty
          await this.control.listen([multiaddr(`${addr}/p2p-circuit`)]);
          state.state = "reserved";
          state.reservations += 1;
          state.reservedAt = new Date().toISOString();
          state.lastError = undefined;
          this.#failures.set(peerId, 0);
          this.options.onEvent?.("relay reserved", {
            relay: peerId,
            via: addr,
            reservations: state.reservations,
          });
          return;
        } catch (cause) {
          errors.push(`${addr}: ${(cause as Error).message}`);
        }
      }
      state.state = "failed";
      state.lastError = errors.join("; ") || "no usable address (UDP blocked, no TCP address)";
      const failures = (this.#failures.get(peerId) ?? 0) + 1;
      this.#failures.set(peerId, failures);
      const delay = Math.min(
        (this.options.retryMinMs ?? 500) * 2 ** (failures - 1),
        this.options.retryMaxMs ?? 30_000,
      );
      this.options.onEvent?.("relay reservation failed", {
        relay: peerId,
        error: state.lastError,
        retryInMs: delay,
      });
      this.#schedule(peerId, delay);
    } finally {
      this.#busy.delete(peerId);
    }
  }
}

/**
 * Whether a circuit address goes through one of the relay's configured
 * addresses (a relay named by DNS: through any address but loopback or
 * unspecified ones).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dialableCircuit } from "./_relay_keeper.ts";
 * const relay = ["/ip4/1.2.3.4/tcp/4001/p2p/R"];
 * assert.equal(dialableCircuit("/ip4/1.2.3.4/tcp/4001/p2p/R/p2p-circuit/p2p/P", relay), true);
 * assert.equal(dialableCircuit("/ip4/127.0.0.1/tcp/4001/p2p/R/p2p-circuit/p2p/P", relay), false);
 * ```
 */
export function dialableCircuit(circuit: string, relayAddrs: readonly string[]): boolean {
  if (relayAddrs.some((r) => circuit.startsWith(`${r}/p2p-circuit`))) return true;
  const byName = relayAddrs.some((r) => /^\/dns(4|6)?\//.test(r));
  return byName && !isLocalMultiaddr(circuit);
}

/** Whether a multiaddr's host is loopback or unspecified: no one elsewhere can dial it. */
export function isLocalMultiaddr(addr: string): boolean {
  return /^\/ip4\/(127\.|0\.0\.0\.0\/)|^\/ip6\/(::1|::)\//.test(addr);
}
