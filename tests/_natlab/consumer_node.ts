/**
 * The consumer side of the lab, run inside the consumer's namespace: looks the
 * rig's signed record up through relay B (not the rig's relay), checks it,
 * connects to the rig (its direct addresses, else relay A's circuit and the
 * punch unless a NAT is symmetric) and runs the steps it is given, printing
 * one JSON `result` line.
 *
 * Usage: consumer_node.ts <config JSON>
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Connection } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { privateKeyToAccount } from "viem/accounts";
import {
  connectToRig,
  createNatHost,
  findRigRecord,
  followTaskLogs,
  FORWARD_PROTOCOL_ID,
  forwardPort,
  PUNCH_PROTOCOL_ID,
  type RequestAction,
  RequestRefusedError,
  sendRawFrame,
  sendRawRequest,
  sendTaskRequest,
  signRequest,
  TASK_PROTOCOL_ID,
  verifyRigRecord,
} from "../../src/nat/mod.ts";
import { malformedMessages } from "./fuzz.ts";
import { logBytes } from "./test_handler.ts";

type Step = "status" | "foreign" | "logs" | "forward" | "rtt" | "fuzz";
const config = JSON.parse(Deno.args[0]!) as {
  /** The consumer's relay (B): the directory is asked there. */
  relayAddr: string;
  /** The rig's Ethereum address (what a deal's supplier would say). */
  rigAddress: `0x${string}`;
  rigPeerId: string;
  consumerKey: `0x${string}`;
  otherKey: `0x${string}`;
  chainId: number;
  market: `0x${string}`;
  logSize: number;
  forwardBytes: number;
  fuzzCount: number;
  fuzzSeed: number;
  steps: Step[];
};
const domain = { chainId: config.chainId, market: config.market };
const consumer = privateKeyToAccount(config.consumerKey);
let nonce = BigInt(Date.now()) * 1000n;

function sign<A extends RequestAction>(action: A, args: unknown, key = consumer) {
  return signRequest(key, domain, {
    action,
    dealId: 7n,
    args: args as never,
    nonce: nonce++,
    expiry: BigInt(Math.floor(Date.now() / 1000) + 600),
  });
}

const host = await createNatHost({
  privateKey: await generateKeyPair("Ed25519"),
  listen: [],
  classifyAtStart: false, // as the CLI: the probe runs while dialling, for the punch
});
const lookupStarted = performance.now();
await host.node.dial(multiaddr(config.relayAddr));
const record = await findRigRecord(host.node.services.dht, {
  chainId: config.chainId,
  market: config.market,
  address: config.rigAddress,
});
if (record === undefined) throw new Error("no record of the rig through relay B");
const lookupMs = performance.now() - lookupStarted;
const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));
await verifyRigRecord(record, { ...domain, supplier: config.rigAddress, nowSeconds: nowSeconds() });
let seen: string | undefined;
const rig = await connectToRig(host, { addrs: record.addrs, onObserved: (addr) => seen = addr });
await verifyRigRecord(record, {
  ...domain,
  supplier: config.rigAddress,
  nowSeconds: nowSeconds(),
  peerId: rig.connection.remotePeer.toString(),
});
if (record.peerId !== config.rigPeerId) throw new Error("the record is not the lab rig's");
const result: Record<string, unknown> = {
  event: "result",
  class: host.status().class,
  lookupMs,
  recordAddrs: record.addrs,
  path: rig.path,
  relayedMs: rig.relayedMs,
  observed: rig.observed,
  seen,
  punch: { ...rig.punch, connection: undefined },
  remoteAddr: rig.connection.remoteAddr.toString(),
};

/** Median RTT of 20 libp2p pings on this very connection (not whichever libp2p picks). */
async function rttMs(connection: Connection): Promise<number> {
  const stream = await connection.newStream("/ipfs/ping/1.0.0", { runOnLimitedConnection: true });
  const replies = stream[Symbol.asyncIterator]();
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    stream.send(crypto.getRandomValues(new Uint8Array(32)));
    let got = 0;
    while (got < 32) {
      const next = await replies.next();
      if (next.done) throw new Error("ping stream ended");
      got += next.value.byteLength;
    }
    samples.push(performance.now() - started);
  }
  stream.abort(new Error("done"));
  samples.sort((a, b) => a - b);
  return samples[10]!;
}

async function logsTransfer(connection: Connection) {
  const started = performance.now();
  const expected = logBytes(config.logSize);
  let received = 0;
  let same = true;
  for await (const chunk of followTaskLogs(connection, await sign("logs", {}))) {
    for (let i = 0; i < chunk.byteLength && same; i += 4093) {
      same = chunk[i] === expected[received + i];
    }
    received += chunk.byteLength;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    bytes: received,
    intact: same && received === config.logSize,
    mbps: (received * 8) / seconds / 1e6,
  };
}

async function forwardEcho(connection: Connection) {
  const forward = forwardPort({
    localPort: 0,
    connection: () => connection,
    sign: () => sign("forward", { containerPort: 8080 }),
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: forward.port });
  const payload = logBytes(config.forwardBytes);
  const writing = (async () => {
    for (let at = 0; at < payload.byteLength;) {
      at += await conn.write(payload.subarray(at, at + 65536));
    }
    await conn.closeWrite();
  })();
  const back = new Uint8Array(payload.byteLength);
  let got = 0;
  while (got < back.byteLength) {
    const n = await conn.read(back.subarray(got));
    if (n === null) break;
    got += n;
  }
  await writing;
  conn.close();
  forward.close();
  return {
    bytes: got,
    intact: got === payload.byteLength && back.every((b, i) => b === payload[i]),
  };
}

async function fuzz(connection: Connection) {
  const template = await sign("status", {});
  const outcomes: Record<string, number> = {};
  const messages = [...malformedMessages(config.fuzzSeed, config.fuzzCount, template)];
  let next = 0;
  const worker = async () => {
    while (next < messages.length) {
      const index = next++;
      const message = messages[index]!;
      // every fifth goes to the forward protocol: the same framing, the same refusals
      const protocol = index % 5 === 4 ? FORWARD_PROTOCOL_ID : TASK_PROTOCOL_ID;
      const slow = setTimeout(
        () => Deno.stderr.writeSync(new TextEncoder().encode(`slow ${index} ${message.kind}\n`)),
        10_000,
      );
      const response = await sendRawRequest(connection, message.bytes, protocol)
        .catch(() => undefined);
      clearTimeout(slow);
      const key = response === undefined
        ? "no-answer"
        : response.kind === "refused"
        ? `refused:${response.code}`
        : `accepted:${message.kind}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  // and the punch protocol: garbage gets a refusal, never a punch
  let punchRefused = 0;
  for (const message of messages.slice(0, 50)) {
    const answer = await sendRawFrame(connection, PUNCH_PROTOCOL_ID, message.bytes);
    if ((answer as { kind?: string } | undefined)?.kind === "refused") punchRefused++;
  }
  return { sent: messages.length, outcomes, punchSent: 50, punchRefused };
}

for (const step of config.steps) {
  Deno.stderr.writeSync(new TextEncoder().encode(`step ${step}\n`)); // where a hang happened
  if (step === "status") {
    result.status = await sendTaskRequest(rig.connection, await sign("status", {}));
  } else if (step === "foreign") {
    const other = privateKeyToAccount(config.otherKey);
    try {
      await sendTaskRequest(rig.connection, await sign("stop", {}, other));
      result.foreign = "accepted";
    } catch (error) {
      result.foreign = error instanceof RequestRefusedError ? error.code : String(error);
    }
  } else if (step === "logs") {
    result.logs = await logsTransfer(rig.connection);
    if (rig.relayed !== undefined && rig.path === "direct") {
      result.logsRelayed = await logsTransfer(rig.relayed);
    }
  } else if (step === "forward") {
    result.forward = await forwardEcho(rig.connection);
  } else if (step === "rtt") {
    result.rttMs = await rttMs(rig.connection);
    if (rig.relayed !== undefined && rig.path === "direct") {
      result.rttRelayedMs = await rttMs(rig.relayed);
    }
  } else if (step === "fuzz") {
    result.fuzz = await fuzz(rig.connection);
    result.afterFuzz = await sendTaskRequest(rig.connection, await sign("status", {}));
  }
}
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(result) + "\n"));
await host.stop();
Deno.exit(0);
