import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { privateKeyToAccount } from "viem/accounts";
import { connectToRig } from "./connect.ts";
import { createNatHost, type NatHost } from "./host.ts";
import { type Relay, startRelay } from "./relay.ts";
import { fetchRigRecord, findRigRecord, publishRigRecord } from "./rig_directory.ts";
import { startRigPublisher } from "./rig_publisher.ts";
import { RigIdentityError, signRigRecord, verifyRigRecord } from "./rig_record.ts";

const RIG = privateKeyToAccount(`0x${"33".repeat(32)}`);
const MARKET = "0x00000000000000000000000000000000000000aa" as const;
const CHAIN_ID = 31337;
const now = () => BigInt(Math.floor(Date.now() / 1000));
const tcpOf = (relay: Relay) => relay.addrs.find((a) => a.includes("/tcp/"))!;

async function relayOn(peers: string[] = []): Promise<Relay> {
  return await startRelay({
    privateKey: await generateKeyPair("Ed25519"),
    hostname: "127.0.0.1",
    port: 0,
    echoPorts: [0, 0],
    peers,
  });
}

/** Polls until `check` holds (the DHT's tables fill a few ms after a connection). */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function consumerHost(): Promise<NatHost> {
  return await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
    classifyAtStart: false,
  });
}

Deno.test({
  name: "rig directory: a rig published on relay A is found through relay B, which joined A later",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const relayA = await relayOn();
  const rig = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    relays: [tcpOf(relayA)],
  });
  const published = Promise.withResolvers<Record<string, unknown>>();
  const publisher = await startRigPublisher(rig, {
    signer: RIG,
    chainId: CHAIN_ID,
    market: MARKET,
    onEvent: (event, fields) => event === "rig record published" && published.resolve(fields),
  });
  let relayB: Relay | undefined;
  const consumer = await consumerHost();
  try {
    assert.equal((await published.promise).stored, 1); // relay A is the only directory server
    relayB = await relayOn([tcpOf(relayA)]);
    await until("relay B knows relay A", () => relayB!.directoryPeers() >= 1);
    await consumer.node.dial(multiaddr(tcpOf(relayB)));
    const record = await findRigRecord(consumer.node.services.dht, {
      chainId: CHAIN_ID,
      market: MARKET,
      address: RIG.address,
    });
    assert.ok(record !== undefined, "no record found through relay B");
    assert.equal(record.peerId, rig.peerId);
    assert.equal(record.address, RIG.address);
    assert.ok(record.addrs.some((a) => a.includes("/p2p-circuit")), record.addrs.join(" "));
    const reached = await connectToRig(consumer, { addrs: record.addrs });
    assert.equal(reached.path, "direct"); // the rig's own loopback address comes first
    await verifyRigRecord(record, {
      chainId: CHAIN_ID,
      market: MARKET,
      supplier: RIG.address,
      nowSeconds: now(),
      peerId: reached.connection.remotePeer.toString(),
    });
    // the peer answers with the same record over the record protocol
    const asked = await fetchRigRecord(reached.connection);
    assert.equal(asked.peerId, rig.peerId);

    // an address that is not the supplier finds nothing
    const nobody = await findRigRecord(consumer.node.services.dht, {
      chainId: CHAIN_ID,
      market: MARKET,
      address: privateKeyToAccount(`0x${"44".repeat(32)}`).address,
      graceMs: 0,
    });
    assert.equal(nobody, undefined);
  } finally {
    await consumer.stop();
    await publisher.stop();
    await rig.stop();
    await relayB?.stop();
    await relayA.stop();
  }
});

Deno.test({
  name: "rig directory: the relays refuse an expired record, one for another key, a forged one",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const relay = await relayOn();
  const rig = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    relays: [tcpOf(relay)],
  });
  try {
    const base = {
      chainId: CHAIN_ID,
      market: MARKET,
      address: RIG.address,
      peerId: rig.peerId,
      addrs: [`/ip4/127.0.0.1/tcp/1/p2p/${rig.peerId}`],
      seq: 1n,
      expiry: now() + 600n,
    };
    const valid = await signRigRecord(RIG, base);
    assert.equal((await publishRigRecord(rig.node.services.dht, valid)).stored, 1);
    const expired = await signRigRecord(RIG, { ...base, seq: 2n, expiry: now() - 1n });
    assert.equal((await publishRigRecord(rig.node.services.dht, expired)).stored, 0);
    // signed by another key under the rig's address: its signature does not recover to it
    const other = privateKeyToAccount(`0x${"44".repeat(32)}`);
    const forged = {
      ...(await signRigRecord(other, { ...base, address: other.address, seq: 3n })),
      address: RIG.address,
    };
    assert.equal((await publishRigRecord(rig.node.services.dht, forged)).stored, 0);
    await assert.rejects(
      verifyRigRecord(forged, {
        chainId: CHAIN_ID,
        market: MARKET,
        supplier: RIG.address,
        nowSeconds: now(),
      }),
      (e: Error) => e instanceof RigIdentityError && e.problem === "bad-signature",
    );
    // the relay still serves the valid one
    const consumer = await consumerHost();
    try {
      await consumer.node.dial(multiaddr(tcpOf(relay)));
      const found = await findRigRecord(consumer.node.services.dht, {
        chainId: CHAIN_ID,
        market: MARKET,
        address: RIG.address,
      });
      assert.equal(found?.seq, 1n);
    } finally {
      await consumer.stop();
    }
  } finally {
    await rig.stop();
    await relay.stop();
  }
});
