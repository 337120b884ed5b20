/**
 * The host on loopback: reservation on a real relay, the status object, and
 * what it says when the relay cannot be reached.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { createNatHost } from "./host.ts";
import { startRelay } from "./relay.ts";
import { startUdpEcho } from "./udp_echo.ts";

Deno.test("host: reserves on the relay and reports public class and circuit addresses", async () => {
  const relay = await startRelay({
    privateKey: await generateKeyPair("Ed25519"),
    hostname: "127.0.0.1",
    port: 0,
    echoPorts: [0, 0],
  });
  const host = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"],
    relays: relay.addrs,
    echoPorts: relay.echoPorts,
  });
  try {
    const status = host.status();
    assert.equal(status.class, "public");
    assert.equal(status.relays.length, 1);
    assert.equal(status.relays[0]!.state, "reserved");
    assert.ok(
      status.relays[0]!.circuitAddrs.every((a) => a.endsWith(`/p2p-circuit/p2p/${host.peerId}`)),
    );
    assert.ok(status.relays[0]!.circuitAddrs.length >= 1);
    assert.deepEqual(status.diagnostics, []);
  } finally {
    await host.stop();
    await relay.stop();
  }
});

Deno.test("host: an unreachable relay is reported with what was tried and what to open", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const relayId = "12D3KooWMbCQviTxbcSVP4HAghBzHfB5yE1AEXrwJMcWiZzzagi4";
  const addr = `/ip4/127.0.0.1/tcp/${port}/p2p/${relayId}`;
  const host = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
    relays: [addr],
    echoPorts: [port, port],
    retryMinMs: 60_000,
  });
  try {
    const status = host.status();
    assert.equal(status.class, "udp-blocked"); // the echo service did not answer either
    assert.equal(status.relays[0]!.state, "failed");
    assert.ok(
      status.diagnostics.some((l) => l.includes(`tried ${addr}`)),
      status.diagnostics.join("\n"),
    );
    assert.ok(status.diagnostics.some((l) => l.includes("allow outbound UDP and TCP")));
  } finally {
    await host.stop();
  }
});

Deno.test("host: a relay address without a peer id is refused before anything starts", async () => {
  await assert.rejects(
    async () =>
      await createNatHost({
        privateKey: await generateKeyPair("Ed25519"),
        relays: ["/ip4/127.0.0.1/tcp/4001"],
      }),
    /nat\.relays\[0\]/,
  );
});

Deno.test("host: probes the NAT again and reports a change of class", async () => {
  // two free UDP ports where no echo answers yet: the host starts "udp-blocked"
  const free = await startUdpEcho({ hostname: "127.0.0.1", ports: [0, 0] });
  const ports = free.ports;
  await free.close();
  const events: [string, Record<string, unknown>][] = [];
  const host = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
    echoHost: "127.0.0.1",
    echoPorts: ports,
    reclassifyMs: 100,
    onEvent: (event, fields) => events.push([event, fields]),
  });
  const echo = await startUdpEcho({ hostname: "127.0.0.1", ports });
  try {
    assert.equal(events.find(([e]) => e === "connectivity classified")?.[1].class, "udp-blocked");
    // UDP gets through now (a firewall rule lifted): the periodic probe sees it
    const deadline = Date.now() + 20_000;
    while (host.status().class !== "public" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(host.status().class, "public");
    const changed = events.find(([e]) => e === "connectivity changed");
    assert.deepEqual(changed?.[1], { from: "udp-blocked", to: "public", reason: "periodic check" });
  } finally {
    await host.stop();
    await echo.close();
  }
});
