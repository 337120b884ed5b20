/**
 * A libp2p service whose only job is to hand the host the transport manager:
 * the punch starts a QUIC listener on a port chosen at run time, and the
 * reservation keeper re-listens on a relay's circuit address. This is the one
 * internal libp2p API the module relies on (DESIGN.md "libp2p and NAT"); the
 * lab test keeps it honest against version bumps.
 *
 * @module
 */
import type { Listener } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";

/** What the service exposes. */
export type ListenerControl = {
  listen(addrs: Multiaddr[]): Promise<void>;
  listeners(): Listener[];
};

type Components = {
  transportManager: {
    listen(addrs: Multiaddr[]): Promise<void>;
    getListeners(): Listener[];
  };
};

/** The service factory, for `services: { listenerControl: listenerControl() }`. */
export function listenerControl(): (components: Components) => ListenerControl {
  return (components) => ({
    listen: (addrs) => components.transportManager.listen(addrs),
    listeners: () => components.transportManager.getListeners(),
  });
}
