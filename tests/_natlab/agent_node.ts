/**
 * The agent side of the lab, run inside the agent's namespace: a NAT host
 * with the test handler, the punch service, the rig's signed record published
 * on the relays' directory (signed with the lab rig's key), and a TCP echo
 * server standing in for a task's published port. Prints JSON lines; answers `status` and `rss`
 * on stdin.
 *
 * Usage: agent_node.ts <config JSON>
 */
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import {
  createNatHost,
  loadOrCreatePeerKey,
  PEER_KEY_FILE,
  servePunch,
  serveTaskProtocol,
  startRigPublisher,
} from "../../src/nat/mod.ts";
import { createTestHandler } from "./test_handler.ts";

const config = JSON.parse(Deno.args[0]!) as {
  dataDir: string;
  relays: string[];
  consumer: string;
  admin: string;
  chainId: number;
  market: `0x${string}`;
  logSize: number;
  /** The rig's Ethereum key: signs its record. */
  rigKey: `0x${string}`;
  listen?: string[];
};

function emit(value: Record<string, unknown>): void {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(value) + "\n"));
}

// the task's published port: a TCP echo server on loopback
const echo = Deno.listen({ hostname: "127.0.0.1", port: 0 });
void (async () => {
  for await (const conn of echo) {
    void conn.readable.pipeTo(conn.writable).catch(() => {});
  }
})();

const host = await createNatHost({
  privateKey: await loadOrCreatePeerKey(join(config.dataDir, PEER_KEY_FILE)),
  listen: config.listen ?? ["/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"],
  relays: config.relays,
  retryMinMs: 250,
  retryMaxMs: 2_000,
  onEvent: (event, fields) => emit({ event, ...fields }),
});
const refusals: Record<string, number> = {};
await serveTaskProtocol(host.node, {
  handler: createTestHandler({
    consumer: config.consumer,
    admin: config.admin,
    logSize: config.logSize,
    forwardTo: { hostname: "127.0.0.1", port: (echo.addr as Deno.NetAddr).port },
  }),
  domain: { chainId: config.chainId, market: config.market },
  onRequest: (event) => {
    if (event.outcome !== "ok") refusals[event.outcome] = (refusals[event.outcome] ?? 0) + 1;
  },
});
await servePunch(host, { onEvent: (event, fields) => emit({ event, ...fields }) });
const publisher = await startRigPublisher(host, {
  signer: privateKeyToAccount(config.rigKey),
  chainId: config.chainId,
  market: config.market,
  settleMs: 100,
  onEvent: (event, fields) => emit({ event, ...fields }),
  onPublished: (info) =>
    emit({
      event: "record-published",
      stored: info.stored,
      relays: info.relays,
      addrs: info.addrs.length,
      circuits: info.addrs.filter((a) => a.includes("/p2p-circuit")).length,
      at: Date.now(),
    }),
});
emit({ event: "ready", peerId: host.peerId, status: host.status() });

Deno.addSignalListener("SIGTERM", async () => {
  await publisher.stop();
  await host.stop();
  Deno.exit(0);
});

for await (const line of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  for (const command of line.split("\n").map((l) => l.trim()).filter(Boolean)) {
    if (command === "status") emit({ event: "status", status: host.status(), refusals });
    if (command === "rss") {
      (globalThis as { gc?: () => void }).gc?.();
      const memory = Deno.memoryUsage();
      emit({ event: "rss", rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external });
    }
  }
}
