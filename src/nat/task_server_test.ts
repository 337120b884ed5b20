/**
 * The task protocol between two real libp2p hosts on loopback (TCP): the
 * server's answers, refusals and streaming; the NAT lab covers the paths.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Connection } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { privateKeyToAccount } from "viem/accounts";
import { encodeFrame } from "./_framing.ts";
import { createNatHost, type NatHost } from "./host.ts";
import { followTaskLogs, forwardPort, sendRawRequest, sendTaskRequest } from "./task_client.ts";
import {
  type RequestAction,
  RequestRefusedError,
  signRequest,
  type TaskRequestHandler,
  type TaskStatus,
} from "./task_protocol.ts";
import { LOG_FRAME_BYTES, serveTaskProtocol } from "./task_server.ts";

const domain = { chainId: 31337, market: "0x00000000000000000000000000000000000000aa" } as const;
const consumer = privateKeyToAccount(`0x${"11".repeat(32)}`);
const LOG = Uint8Array.from({ length: LOG_FRAME_BYTES * 2 + 17 }, (_, i) => i % 256);

const running = (dealId: bigint): TaskStatus => ({
  dealId: dealId.toString(),
  taskId: "t",
  image: "img",
  state: "running",
  ports: [],
});

function handler(echoPort: number): TaskRequestHandler {
  return {
    submit: (r) => Promise.resolve({ ...running(r.dealId), image: r.args.spec.image }),
    status: (r) => {
      if (r.signer !== consumer.address) {
        return Promise.reject(new RequestRefusedError("not-authorized", "not the consumer"));
      }
      return Promise.resolve(running(r.dealId));
    },
    stop: () => Promise.reject(new Error("docker exploded at /var/run/secret")),
    async *logs() {
      yield LOG.subarray(0, 10);
      yield LOG.subarray(10);
    },
    forward: () => Promise.resolve({ hostname: "127.0.0.1", port: echoPort }),
    report: () => Promise.resolve({ report: { format: "sonm-bench-report/1" }, signature: "0x" }),
    admin: () => Promise.reject(new RequestRefusedError("not-authorized", "no admins")),
  };
}

let nonce = 1n;
function sign<A extends RequestAction>(action: A, args: unknown, expiry?: bigint) {
  return signRequest(consumer, domain, {
    action,
    dealId: 7n,
    args: args as never,
    nonce: nonce++,
    expiry: expiry ?? BigInt(Math.floor(Date.now() / 1000) + 60),
  });
}

async function withHosts(fn: (connection: Connection) => Promise<void>): Promise<void> {
  const echo = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of echo) void conn.readable.pipeTo(conn.writable).catch(() => {});
  })();
  const hosts: NatHost[] = [];
  try {
    const rig = await createNatHost({
      privateKey: await generateKeyPair("Ed25519"),
      listen: ["/ip4/127.0.0.1/tcp/0"],
    });
    hosts.push(rig);
    await serveTaskProtocol(rig.node, {
      handler: handler((echo.addr as Deno.NetAddr).port),
      domain,
    });
    const client = await createNatHost({
      privateKey: await generateKeyPair("Ed25519"),
      listen: [],
    });
    hosts.push(client);
    await fn(await client.node.dial(multiaddr(rig.status().addrs[0]!)));
  } finally {
    for (const host of hosts) await host.stop();
    echo.close();
    await serving.catch(() => {});
  }
}

Deno.test("task protocol: answers, refusals with their codes, no internal detail leaked", async () => {
  await withHosts(async (connection) => {
    assert.equal(
      ((await sendTaskRequest(connection, await sign("status", {}))) as TaskStatus).state,
      "running",
    );
    const submitted = await sendTaskRequest(
      connection,
      await sign("submit", { spec: { image: "busybox" } }),
    );
    assert.equal((submitted as TaskStatus).image, "busybox");
    const refusedWith = async (envelope: unknown) => {
      try {
        await sendTaskRequest(connection, envelope as never);
        return "accepted";
      } catch (error) {
        assert.ok(error instanceof RequestRefusedError);
        return `${error.code}: ${error.message}`;
      }
    };
    const other = privateKeyToAccount(`0x${"22".repeat(32)}`);
    const foreign = await signRequest(other, domain, {
      action: "status",
      dealId: 7n,
      args: {},
      nonce: 9n,
      expiry: BigInt(Math.floor(Date.now() / 1000) + 60),
    });
    assert.match(await refusedWith(foreign), /^not-authorized/);
    assert.match(await refusedWith(await sign("status", {}, 5n)), /^expired/);
    assert.equal(
      await refusedWith(await sign("stop", {})),
      "internal: the request failed on the rig",
    );
    assert.match(await refusedWith(await sign("forward", { containerPort: 80 })), /^malformed/);
  });
});

Deno.test("task protocol: raw malformed frames are refused and the host keeps serving", async () => {
  await withHosts(async (connection) => {
    const text = (s: string) => encodeFrame(new TextEncoder().encode(s));
    const oversized = new Uint8Array(4);
    new DataView(oversized.buffer).setUint32(0, 1 << 30);
    const cases: [Uint8Array, string][] = [
      [text("not json"), "malformed"],
      [text("{}"), "malformed"],
      [oversized, "too-large"],
      [text('{"action":"status"}').subarray(0, 7), "malformed"],
    ];
    for (const [bytes, code] of cases) {
      const response = await sendRawRequest(connection, bytes);
      assert.deepEqual(response?.kind === "refused" && response.code, code);
    }
    assert.ok(await sendTaskRequest(connection, await sign("status", {})));
  });
});

Deno.test("task protocol: output that breaks off ends in the rig's refusal, after the bytes sent", async () => {
  const echo = 0;
  const rig = await createNatHost({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
  });
  const client = await createNatHost({ privateKey: await generateKeyPair("Ed25519"), listen: [] });
  try {
    await serveTaskProtocol(rig.node, {
      handler: {
        ...handler(echo),
        async *logs() {
          yield new TextEncoder().encode("first line\n");
          throw new RequestRefusedError("unavailable", "the container is gone");
        },
      },
      domain,
    });
    const connection = await client.node.dial(multiaddr(rig.status().addrs[0]!));
    const received: string[] = [];
    await assert.rejects(
      async () => {
        for await (const chunk of followTaskLogs(connection, await sign("logs", {}))) {
          received.push(new TextDecoder().decode(chunk));
        }
      },
      (e: Error) => e instanceof RequestRefusedError && e.code === "unavailable",
    );
    assert.deepEqual(received, ["first line\n"]);
  } finally {
    await client.stop();
    await rig.stop();
  }
});

Deno.test("task protocol: logs arrive whole across chunks; a forward reaches the port", async () => {
  await withHosts(async (connection) => {
    const received: Uint8Array[] = [];
    let chunks = 0;
    for await (const chunk of followTaskLogs(connection, await sign("logs", {}))) {
      chunks++;
      received.push(chunk);
    }
    const all = new Uint8Array(received.reduce((n, c) => n + c.byteLength, 0));
    received.reduce((at, c) => (all.set(c, at), at + c.byteLength), 0);
    assert.deepEqual(all, LOG);
    assert.ok(chunks >= 3, "a big write is split into frames under the size limit");

    const forward = forwardPort({
      localPort: 0,
      connection: () => connection,
      sign: () => sign("forward", { containerPort: 8080 }),
    });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: forward.port });
    await conn.write(new TextEncoder().encode("ping"));
    await conn.closeWrite();
    const back = new Uint8Array(16);
    const n = await conn.read(back);
    assert.equal(new TextDecoder().decode(back.subarray(0, n ?? 0)), "ping");
    conn.close();
    forward.close();
    await forward.closed;
  });
});
