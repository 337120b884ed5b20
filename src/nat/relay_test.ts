/**
 * The relay on loopback: relayed traffic beyond the stock 128 KiB limit, and
 * the per-peer bandwidth cap holding a sender to its rate.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { createNatHost } from "./host.ts";
import { type RelayLimits, startRelay } from "./relay.ts";

const SINK = "/natt/sink/1.0.0";

/** Sends `bytes` from a consumer through the relay to a rig; returns ms and bytes received. */
async function sendThroughRelay(limits: Partial<RelayLimits>, bytes: number) {
  const relay = await startRelay({
    privateKey: await generateKeyPair("Ed25519"),
    hostname: "127.0.0.1",
    port: 0,
    echoPorts: [0, 0],
    limits,
  });
  const rig = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
    relays: relay.addrs.filter((a) => a.includes("/tcp/")),
    echoPorts: relay.echoPorts,
  });
  const consumer = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
  });
  let received = 0;
  const done = Promise.withResolvers<void>();
  await rig.node.handle(SINK, async (stream) => {
    for await (const chunk of stream) received += chunk.byteLength;
    done.resolve();
    await stream.close();
  }, { runOnLimitedConnection: true });
  try {
    const circuit = rig.status().relays[0]!.circuitAddrs[0]!;
    const connection = await consumer.node.dial(multiaddr(circuit));
    const stream = await connection.newStream(SINK, { runOnLimitedConnection: true });
    const started = performance.now();
    const piece = new Uint8Array(32 * 1024);
    for (let sent = 0; sent < bytes; sent += piece.byteLength) {
      if (!stream.send(piece)) await stream.onDrain();
    }
    await stream.close();
    await done.promise;
    return { ms: performance.now() - started, received };
  } finally {
    await consumer.stop();
    await rig.stop();
    await relay.stop();
  }
}

Deno.test("relay: a relayed connection carries far more than the stock 128 KiB", async () => {
  const { received } = await sendThroughRelay({}, 4 * 1024 * 1024);
  assert.equal(received, 4 * 1024 * 1024);
});

Deno.test("relay: the per-peer cap holds a sender to its rate (a lower bound, not a speed)", async () => {
  // 1 MB/s with a 1 MB burst: 3 MB cannot arrive in less than about 2 s
  const { ms, received } = await sendThroughRelay({ peerBytesPerSecond: 1_000_000 }, 3_014_656);
  assert.equal(received, 3_014_656);
  assert.ok(ms >= 1_800, `3 MB through a 1 MB/s cap took only ${Math.round(ms)} ms`);
});
