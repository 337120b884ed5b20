import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { privateKeyToAccount } from "viem/accounts";
import {
  createNatHost,
  decodeRigRecord,
  RequestRefusedError,
  sendTaskRequest,
  signRequest,
  startRelay,
  type TaskRequestHandler,
  verifyRigRecord,
} from "../nat/mod.ts";
import { createLogger } from "./base/logger.ts";
import { emptySnapshot } from "../dashboard/mod.ts";
import { startNatService } from "./nat_service.ts";
import { readNatStatusFile, toConnectivity } from "./state/nat_status_file.ts";
import { ConfigError } from "./base/errors.ts";
import { parseConfig } from "./config/parse_config.ts";
import { formatStatus } from "./commands/status_command.ts";

const domain = { chainId: 31337, market: "0x00000000000000000000000000000000000000aa" } as const;
const RIG = privateKeyToAccount(`0x${"33".repeat(32)}`);
const refuseAll = () => Promise.reject(new RequestRefusedError("deal-not-open", "no deal 7"));
const handler: TaskRequestHandler = {
  submit: refuseAll,
  status: refuseAll,
  stop: refuseAll,
  logs: () => ({ [Symbol.asyncIterator]: () => ({ next: refuseAll }) }),
  forward: refuseAll,
  report: refuseAll,
  exec: refuseAll,
  admin: refuseAll,
};

Deno.test("nat service: reserves on the configured relay, serves the handler, writes its status", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "natt-svc-" });
  const relay = await startRelay({
    privateKey: await generateKeyPair("Ed25519"),
    hostname: "127.0.0.1",
    port: 0,
    echoPorts: [0, 0],
  });
  const service = await startNatService({
    dataDir,
    nat: {
      relays: relay.addrs.filter((a) => a.includes("/tcp/")),
      listenPorts: { tcp: 0, quic: 0 },
    },
    handler,
    domain,
    signer: RIG,
    logger: createLogger({ level: "error", format: "json" }),
  });
  const client = await createNatHost({ privateKey: await generateKeyPair("Ed25519"), listen: [] });
  try {
    const connectivity = service.connectivity();
    assert.equal(connectivity.relay?.state, "reserved");
    const rigAddr = connectivity.addresses?.[0] ?? "";
    assert.match(rigAddr, new RegExp(`/p2p-circuit/p2p/${service.peerId}$`));
    const written = await readNatStatusFile(dataDir);
    assert.equal(written?.peerId, service.peerId);
    assert.equal(((await Deno.stat(`${dataDir}/libp2p-peer.key`)).mode ?? 0) & 0o777, 0o600);
    // the rig's signed record, for a consumer on this machine: the rig's, for this peer
    // (signed in the background as the service starts: written once signed)
    let recordBytes: Uint8Array | undefined;
    for (let i = 0; i < 200 && recordBytes === undefined; i++) {
      recordBytes = await Deno.readFile(`${dataDir}/rig-record.json`).catch(() => undefined);
      if (recordBytes === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(recordBytes, "the rig record file was never written");
    const record = decodeRigRecord(recordBytes);
    await verifyRigRecord(record, {
      ...domain,
      supplier: RIG.address,
      nowSeconds: BigInt(Math.floor(Date.now() / 1000)),
      peerId: service.peerId,
    });

    const connection = await client.node.dial(multiaddr(rigAddr));
    const envelope = await signRequest(privateKeyToAccount(`0x${"11".repeat(32)}`), domain, {
      action: "status",
      dealId: 7n,
      args: {},
      nonce: 1n,
      expiry: BigInt(Math.floor(Date.now() / 1000) + 60),
    });
    await assert.rejects(
      () => sendTaskRequest(connection, envelope),
      (e: Error) => e instanceof RequestRefusedError && e.code === "deal-not-open",
    );
  } finally {
    await client.stop();
    await service.stop();
    await relay.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
  assert.equal(await readNatStatusFile(dataDir), undefined);
});

Deno.test("sonm-agent status shows the class, the relay state and the rig's address", () => {
  const connectivity = toConnectivity({
    peerId: "P",
    class: "symmetric",
    mappings: [],
    addrs: [],
    diagnostics: [],
    relays: [{
      peerId: "R",
      addrs: ["/ip4/1.2.3.4/udp/4001/quic-v1/p2p/R"],
      state: "connecting",
      circuitAddrs: ["/ip4/1.2.3.4/udp/4001/quic-v1/p2p/R/p2p-circuit/p2p/P"],
      reservations: 1,
    }],
  });
  const lines = formatStatus({ ...emptySnapshot(0), connectivity });
  assert.ok(lines.includes("reach      symmetric, relay connecting"), lines.join("\n"));
  assert.ok(lines.includes("  /ip4/1.2.3.4/udp/4001/quic-v1/p2p/R/p2p-circuit/p2p/P"));
});

Deno.test("config: a relay without its peer id is refused, naming the field and value", async () => {
  const text = (await Deno.readTextFile(new URL("../../config.example.yaml", import.meta.url)))
    .replace("relays: []", 'relays: ["/ip4/203.0.113.7/udp/4001/quic-v1"]');
  try {
    parseConfig(text, { file: "/rig/rig.yaml", gpuIndexes: [] });
    assert.fail("accepted a relay without /p2p/");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    const problem = error.problems[0]!;
    assert.equal(problem.path, "nat.relays[0]");
    assert.equal(problem.value, "/ip4/203.0.113.7/udp/4001/quic-v1");
    assert.match(problem.message, /\/p2p\/<relay peer id>/);
  }
});
