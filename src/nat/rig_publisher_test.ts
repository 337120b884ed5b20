import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { privateKeyToAccount } from "viem/accounts";
import { createNatHost } from "./host.ts";
import { startRigPublisher } from "./rig_publisher.ts";

Deno.test("stop() gives up a publish in flight at once (a DHT put waits 20 s for absent relays)", async () => {
  const host = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    classifyAtStart: false,
  });
  try {
    let signed = 0;
    const publisher = await startRigPublisher(host, {
      signer: privateKeyToAccount(`0x${"44".repeat(32)}`),
      chainId: 31337,
      market: "0x00000000000000000000000000000000000000aa",
      onSigned: () => signed++,
    });
    // the first publish starts at once and waits for a relay that never comes
    while (signed === 0) await new Promise((r) => setTimeout(r, 10));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      publisher.stop().then(() => "stopped"),
      new Promise((r) => (timer = setTimeout(() => r("still waiting for the publish"), 10_000))),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, "stopped");
  } finally {
    await host.stop();
  }
});
