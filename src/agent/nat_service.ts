/**
 * The agent's NAT service: the libp2p host built from the config (its peer
 * key in the data directory, `nat.relays`, `nat.listen_ports`), the task and
 * forward protocols served with the agent's handler, the punch service, the
 * rig's signed record published on the relays' directory (so a consumer finds
 * the rig from a deal's supplier), and the connectivity written to
 * `nat-status.json` in the data directory so `sonm-agent status` (another
 * process) and the dashboard can show it.
 *
 * @module
 */
import { join } from "node:path";
import type { ConnectivityStatus } from "../dashboard/mod.ts";
import {
  createNatHost,
  encodeRigRecord,
  loadOrCreatePeerKey,
  type NatHost,
  type NatStatus,
  PEER_KEY_FILE,
  type ProtocolDomain,
  type RigRecordSigner,
  servePunch,
  serveTaskProtocol,
  startRigPublisher,
  type TaskRequestHandler,
} from "../nat/mod.ts";
import type { AgentConfig } from "./config/mod.ts";
import type { Logger } from "./base/mod.ts";
import { NAT_STATUS_FILE, RIG_RECORD_FILE, toConnectivity } from "./state/mod.ts";

/** Options of {@linkcode startNatService}. */
export type StartNatServiceOptions = {
  dataDir: string;
  nat: AgentConfig["nat"];
  handler: TaskRequestHandler;
  /** The chain and market the consumers' requests must be signed for. */
  domain: ProtocolDomain;
  /** The rig's Ethereum account: signs the rig's record (its address is the deals' supplier). */
  signer: RigRecordSigner;
  logger: Logger;
  /** How often the status file is rewritten besides on each event, ms. */
  statusIntervalMs?: number;
  /**
   * Called on each relay event (reserved, lost, failed) and change of the
   * connectivity class: the self-test looks again.
   */
  onRelayEvent?: ((event: string) => void) | undefined;
};

/** A running NAT service. */
export type NatService = {
  peerId: string;
  status(): NatStatus;
  /** The same status in the dashboard's shape. */
  connectivity(): ConnectivityStatus;
  stop(): Promise<void>;
};

/**
 * Starts the host and serves the consumer protocols.
 *
 * @throws {NatError} when a relay address in the config is malformed
 */
export async function startNatService(options: StartNatServiceOptions): Promise<NatService> {
  const logger = options.logger;
  const statusPath = join(options.dataDir, NAT_STATUS_FILE);
  let writing = Promise.resolve();
  let started: NatHost | undefined; // events fire while the host starts: written once it has
  const writeStatus = () => {
    const current = started;
    if (current === undefined) return;
    writing = writing.then(() =>
      Deno.writeTextFile(statusPath, JSON.stringify(current.status(), null, 2) + "\n")
    ).catch((error) => logger.warn("cannot write the NAT status file", { statusPath, error }));
  };
  const host = started = await createNatHost({
    privateKey: await loadOrCreatePeerKey(join(options.dataDir, PEER_KEY_FILE)),
    listen: [
      `/ip4/0.0.0.0/tcp/${options.nat.listenPorts.tcp}`,
      `/ip4/0.0.0.0/udp/${options.nat.listenPorts.quic}/quic-v1`,
    ],
    relays: options.nat.relays,
    onEvent: (event, fields) => {
      const warn = event.includes("failed") || event.includes("lost");
      (warn ? logger.warn : logger.info).call(logger, event, fields);
      writeStatus();
      if (event.includes("relay") || event.startsWith("connectivity c")) {
        options.onRelayEvent?.(event);
      }
    },
  });
  await serveTaskProtocol(host.node, {
    handler: options.handler,
    domain: options.domain,
    onRequest: (event) =>
      (event.outcome === "ok" ? logger.debug : logger.info).call(logger, "task request", event),
  });
  await servePunch(host, { onEvent: (event, fields) => logger.debug(event, fields) });
  const recordPath = join(options.dataDir, RIG_RECORD_FILE);
  const publisher = await startRigPublisher(host, {
    // without relays there is no directory: the record file serves a consumer on this machine
    directory: options.nat.relays.length > 0,
    signer: options.signer,
    chainId: options.domain.chainId,
    market: options.domain.market,
    // a consumer on this machine (a devnet) finds the rig here without a relay
    onSigned: (record) => {
      writing = writing.then(() => Deno.writeFile(recordPath, encodeRigRecord(record)))
        .catch((error) => logger.warn("cannot write the rig record file", { recordPath, error }));
    },
    onEvent: (event, fields) =>
      (event.includes("not") ? logger.warn : logger.info).call(logger, event, fields),
  });
  const status = host.status();
  logger.info("reachable", {
    peerId: host.peerId,
    class: status.class,
    rigAddrs: status.relays.flatMap((r) => r.circuitAddrs),
  });
  for (const line of status.diagnostics) logger.warn(line, {});
  writeStatus();
  const timer = setInterval(writeStatus, options.statusIntervalMs ?? 30_000);
  return {
    peerId: host.peerId,
    status: () => host.status(),
    connectivity: () => toConnectivity(host.status()),
    stop: async () => {
      clearInterval(timer);
      await publisher.stop();
      await host.stop();
      await writing;
      await Deno.remove(statusPath).catch(() => {});
      await Deno.remove(recordPath).catch(() => {});
    },
  };
}
