/**
 * `sonm-agent relay`: runs a circuit relay (with its UDP echo service) until
 * the signal aborts. The relay's identity lives in its data directory so its
 * addresses, which agents put in `nat.relays`, survive restarts.
 *
 * @module
 */
import { join } from "node:path";
import { loadOrCreatePeerKey, PEER_KEY_FILE, type RelayLimits, startRelay } from "../../nat/mod.ts";
import type { Logger } from "../base/mod.ts";

/** Options of {@linkcode runRelayCommand}. */
export type RunRelayCommandOptions = {
  dataDir: string;
  hostname: string;
  port: number;
  echoPorts: number[];
  limits: Partial<RelayLimits>;
  /** Other relays (multiaddrs with `/p2p/<id>`) whose directory this one joins. */
  peers?: readonly string[];
  logger: Logger;
  signal: AbortSignal;
  /** Called as the directory's peer relays join or cannot be reached. */
  onPeerEvent?: (event: string, fields: Record<string, unknown>) => void;
  /** Called once listening, with the addresses to give agents. */
  onReady?: (info: { peerId: string; addrs: string[]; echoPorts: number[] }) => void;
};

/**
 * Runs the relay until `signal` aborts.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { createLogger } from "../base/logger.ts";
 * import { runRelayCommand } from "./relay_command.ts";
 * const dataDir = await Deno.makeTempDir({ prefix: "natt-relay-" });
 * const controller = new AbortController();
 * let addrs: string[] = [];
 * await runRelayCommand({
 *   dataDir, hostname: "127.0.0.1", port: 0, echoPorts: [0, 0], limits: {},
 *   logger: createLogger({ level: "error", format: "json" }), signal: controller.signal,
 *   onReady: (info) => { addrs = info.addrs; controller.abort(); },
 * });
 * assert.ok(addrs.length >= 2);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export async function runRelayCommand(options: RunRelayCommandOptions): Promise<void> {
  await Deno.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const privateKey = await loadOrCreatePeerKey(join(options.dataDir, PEER_KEY_FILE));
  const relay = await startRelay({
    privateKey,
    hostname: options.hostname,
    port: options.port,
    echoPorts: options.echoPorts,
    limits: options.limits,
    peers: options.peers ?? [],
    onEvent: (event, fields) => {
      (event.includes("unreachable") ? options.logger.warn : options.logger.info)
        .call(options.logger, event, fields);
      options.onPeerEvent?.(event, fields);
    },
  });
  options.logger.info("relay listening", {
    peerId: relay.peerId,
    addrs: relay.addrs,
    echoPorts: relay.echoPorts,
    limits: relay.limits,
  });
  options.onReady?.({ peerId: relay.peerId, addrs: relay.addrs, echoPorts: relay.echoPorts });
  if (!options.signal.aborted) {
    await new Promise((resolve) =>
      options.signal.addEventListener("abort", resolve, { once: true })
    );
  }
  await relay.stop();
  options.logger.info("relay stopped", {});
}
