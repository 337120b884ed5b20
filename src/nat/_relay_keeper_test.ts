import assert from "node:assert/strict";
import { groupRelays } from "./_relay_keeper.ts";

const RELAY = "12D3KooWMbCQviTxbcSVP4HAghBzHfB5yE1AEXrwJMcWiZzzagi4";

Deno.test("groupRelays groups by peer id with QUIC addresses first", () => {
  const groups = groupRelays([
    `/ip4/198.18.0.1/tcp/4001/p2p/${RELAY}`,
    `/ip4/198.18.0.1/udp/4001/quic-v1/p2p/${RELAY}`,
  ]);
  assert.deepEqual([...groups.keys()], [RELAY]);
  assert.match(groups.get(RELAY)![0]!, /quic-v1/);
});

Deno.test("groupRelays names the entry without a peer id and the one that is no multiaddr", () => {
  assert.throws(() => groupRelays(["/ip4/198.18.0.1/tcp/4001"]), /nat\.relays\[0\].*\/p2p\//);
  assert.throws(
    () => groupRelays([`/ip4/1.2.3.4/tcp/1/p2p/${RELAY}`, "/ip4/x"]),
    /nat\.relays\[1\]/,
  );
});
