/**
 * The host's connectivity as the agent, `sonm-agent status` and the dashboard
 * read it: one small plain object, no libp2p types.
 *
 * @module
 */

/** How reachable the rig is: public, punchable, relay only, or TCP relay only. */
export type ConnectivityClass = "unknown" | "public" | "cone" | "symmetric" | "udp-blocked";

/** One configured relay as the host sees it. */
export type RelayState = {
  /** The relay's peer id. */
  peerId: string;
  /** The addresses configured for it. */
  addrs: string[];
  state: "connecting" | "reserved" | "failed";
  /** The circuit addresses a consumer dials (when reserved). */
  circuitAddrs: string[];
  reservedAt?: string | undefined;
  /** How many reservations the host made on it (more than one: it re-reserved). */
  reservations: number;
  lastError?: string | undefined;
};

/** The host's status snapshot. */
export type NatStatus = {
  peerId: string;
  class: ConnectivityClass;
  /** The NAT mapping the echo probe saw (cone/public), or each mapping (symmetric). */
  mappings: string[];
  relays: RelayState[];
  /** Every address the host advertises (listen, and circuit through relays). */
  addrs: string[];
  /** Lines for the rig owner when something does not work: what was tried, what to open. */
  diagnostics: string[];
};

/**
 * The diagnostics for a status: what was tried and what to open.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { diagnose } from "./status.ts";
 * const lines = diagnose({ class: "udp-blocked", relays: [] });
 * assert.ok(lines.some((l) => l.includes("nat.relays")));
 * ```
 */
export function diagnose(
  status: Pick<NatStatus, "class" | "relays">,
): string[] {
  const lines: string[] = [];
  if (status.relays.length === 0) {
    lines.push("no relay configured (nat.relays): consumers behind NAT cannot reach this rig");
  } else if (!status.relays.some((r) => r.state === "reserved")) {
    for (const relay of status.relays) {
      lines.push(
        `relay ${relay.peerId} unreachable (tried ${relay.addrs.join(", ")})` +
          (relay.lastError === undefined ? "" : `: ${relay.lastError}`),
      );
    }
    lines.push(
      "allow outbound UDP and TCP to the relay's port (and UDP to its echo ports 3478-3479)",
    );
  }
  if (status.class === "udp-blocked") {
    lines.push("UDP is blocked: only the TCP relay path works; allow outbound UDP for QUIC");
  } else if (status.class === "symmetric") {
    lines.push("symmetric NAT: no direct path, consumers go through the relay");
  }
  return lines;
}
