/**
 * The rig proves who it is before the consumer's CLI sends anything: real
 * `sonm-agent client` processes against real libp2p hosts on loopback. The
 * rig publishes its signed record on a real relay's directory; impostor peers
 * serve records over the record protocol (another rig's valid one, an
 * expired one, one for another chain or market) and count every task request
 * they get: none may arrive. The deal's supplier is given with `--supplier`
 * (tests/nat_agent_e2e_test.ts reads it from a real deal on chain).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { privateKeyToAccount } from "viem/accounts";
import { importPrivateKey } from "../src/chain/mod.ts";
import {
  createNatHost,
  encodeRigRecord,
  fetchRigRecord,
  type NatHost,
  RequestRefusedError,
  RIG_RECORD_PROTOCOL_ID,
  type RigRecord,
  serveTaskProtocol,
  type SignedRigRecord,
  signRigRecord,
  startRelay,
  startRigPublisher,
  type TaskRequestHandler,
} from "../src/nat/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const RIG = privateKeyToAccount(`0x${"33".repeat(32)}`);
const OTHER_RIG = privateKeyToAccount(`0x${"44".repeat(32)}`);
const CHAIN_ID = 31337;
const MARKET = "0x00000000000000000000000000000000000000aa" as const;

/** A handler that answers status for deal 7 and counts every request it sees. */
function countingHandler(): TaskRequestHandler & { seen: number } {
  const seen = () => {
    handler.seen++;
    return Promise.reject(new RequestRefusedError("policy", "counted"));
  };
  const handler = {
    seen: 0,
    status: (r: { dealId: bigint }) => {
      handler.seen++;
      return Promise.resolve({
        dealId: r.dealId.toString(),
        taskId: "t",
        image: "img",
        state: "running" as const,
        ports: [],
      });
    },
    submit: seen,
    stop: seen,
    forward: seen,
    report: seen,
    exec: seen,
    admin: seen,
    logs: () => ({ [Symbol.asyncIterator]: () => ({ next: seen }) }),
  };
  return handler;
}

/** A peer that answers the record protocol with `record` (whoever signed it) and counts requests. */
async function impostor(record: Uint8Array) {
  const host = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
  });
  const handler = countingHandler();
  await serveTaskProtocol(host.node, { handler, domain: { chainId: CHAIN_ID, market: MARKET } });
  await host.node.handle(RIG_RECORD_PROTOCOL_ID, async (stream: Stream) => {
    const frame = new Uint8Array(4 + record.byteLength);
    new DataView(frame.buffer).setUint32(0, record.byteLength);
    frame.set(record, 4);
    stream.send(frame);
    await stream.close();
  }, { runOnLimitedConnection: true });
  return { host, handler, addr: host.status().addrs[0]! };
}

Deno.test("client: a rig proves who it is; impostors get nothing", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "client-identity-" });
  const keystore = join(dir, "consumer.json");
  await importPrivateKey({
    privateKey: `0x${"11".repeat(32)}`,
    path: keystore,
    passphrase: "pw",
    kdf: { kdf: "pbkdf2", c: 1000 },
  });
  const relay = await startRelay({
    privateKey: await generateKeyPair("Ed25519"),
    hostname: "127.0.0.1",
    port: 0,
    echoPorts: [0, 0],
  });
  const relayAddr = relay.addrs.find((a) => a.includes("/tcp/"))!;
  const hosts: NatHost[] = [];
  const rig = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    relays: [relayAddr],
  });
  hosts.push(rig);
  const rigHandler = countingHandler();
  await serveTaskProtocol(rig.node, {
    handler: rigHandler,
    domain: { chainId: CHAIN_ID, market: MARKET },
  });
  const published = Promise.withResolvers<void>();
  const publisher = await startRigPublisher(rig, {
    signer: RIG,
    chainId: CHAIN_ID,
    market: MARKET,
    onEvent: (event) => event === "rig record published" && published.resolve(),
  });
  const cli = async (...extra: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(ROOT, "main.ts"),
        "client",
        "status",
        "--deal",
        "7",
        "--supplier",
        RIG.address,
        "--keystore",
        keystore,
        "--passphrase-env",
        "CLIENT_PASS",
        "--chain-id",
        String(CHAIN_ID),
        "--market",
        MARKET,
        "--json",
        ...extra,
      ],
      env: { NO_COLOR: "1", CLIENT_PASS: "pw" },
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  };
  try {
    await published.promise;
    const asker = await createNatHost({ privateKey: await generateKeyPair("Ed25519"), listen: [] });
    hosts.push(asker);
    const genuine = await fetchRigRecord(await asker.node.dial(multiaddr(rig.status().addrs[0]!)));

    await t.step("the happy path: found in the relay's directory, the path on stderr", async () => {
      const out = await cli("--relay", relayAddr);
      assert.equal(out.code, 0, out.stderr);
      const answer = JSON.parse(out.stdout); // stdout holds the answer alone
      assert.equal(answer.path, "direct");
      assert.equal(answer.result.state, "running");
      assert.match(
        out.stderr,
        new RegExp(
          `^path: direct /ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${rig.peerId} \\(rig ${RIG.address}, found in the relays' directory\\)$`,
          "m",
        ),
      );
      const relayed = await cli("--relay", relayAddr, "--relay-only");
      assert.equal(relayed.code, 0, relayed.stderr);
      assert.equal(JSON.parse(relayed.stdout).path, "relay");
      assert.match(relayed.stderr, /^path: relay \S+\/p2p-circuit\/p2p\/\S+ \(rig /m);
      const overridden = await cli("--rig", rig.status().addrs[0]!);
      assert.equal(overridden.code, 0, overridden.stderr);
      assert.match(overridden.stderr, /address from --rig/);
      assert.equal(rigHandler.seen, 3);
    });

    const resigned = (fields: Partial<RigRecord>, signer = RIG) =>
      signRigRecord(signer, { ...genuine, ...fields, address: signer.address });
    const wire = (r: SignedRigRecord) => encodeRigRecord(r);
    await t.step("a rig on this machine: its record file, without a relay", async () => {
      const file = join(dir, "rig-record.json");
      await Deno.writeFile(file, encodeRigRecord(genuine));
      const out = await cli("--rig-record", file);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stderr, /^path: direct .* \(rig 0x\w+, from its record file\)$/m);
      // another rig's file is passed over: with no relay to ask, nothing to find
      await Deno.writeFile(file, encodeRigRecord(await resigned({}, OTHER_RIG)));
      const other = await cli("--rig-record", file);
      assert.equal(other.code, 2, other.stderr);
      assert.match(other.stderr, /no relay to ask/);
      assert.equal(rigHandler.seen, 4);
    });

    const refused = async (record: Uint8Array, ...expected: RegExp[]) => {
      const fake = await impostor(record);
      hosts.push(fake.host);
      const out = await cli("--rig", fake.addr);
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stderr, /RigIdentityError/);
      assert.match(out.stderr, new RegExp(`supplier ${RIG.address}`));
      assert.match(out.stderr, /nothing was sent/);
      for (const pattern of expected) assert.match(out.stderr, pattern);
      assert.equal(fake.handler.seen, 0, "the impostor got a request");
    };

    await t.step("a peer serving the rig's own valid record is not that rig", async () => {
      await refused(wire(genuine), new RegExp(`is not the record's peer ${rig.peerId}`));
    });
    await t.step("a peer serving another rig's valid record", async () => {
      const other = await resigned({}, OTHER_RIG);
      await refused(wire(other), new RegExp(`signed by ${OTHER_RIG.address}`));
    });
    await t.step("an expired record of the rig", async () => {
      const nowS = BigInt(Math.floor(Date.now() / 1000));
      await refused(wire(await resigned({ expiry: nowS - 5n })), /the record expired at/);
    });
    await t.step("a record for another chain, and for another market", async () => {
      await refused(wire(await resigned({ chainId: 1 })), /for chain 1, not 31337/);
      await refused(
        wire(await resigned({ market: `0x${"bb".repeat(20)}` })),
        /for market 0x[bB]{40}, not/,
      );
    });
    assert.equal(rigHandler.seen, 4, "the genuine rig got a request it should not have");
  } finally {
    await publisher.stop();
    for (const host of hosts) await host.stop();
    await relay.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
