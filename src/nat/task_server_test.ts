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
import { openExec } from "./exec_client.ts";
import {
  type ExecSession,
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
    exec: (r) => {
      if (r.args.command[0] === "refuse") {
        return Promise.reject(new RequestRefusedError("unknown-task", "no running task"));
      }
      return Promise.resolve(fakeCat(r.args.tty));
    },
  };
}

/** Ends of the fake execs, in order (what the transport told `close`). */
const execEnds: { exitCode?: number | undefined; reason: string }[] = [];

/** A stand-in exec: `cat` (stdin to stdout), "err" on stderr first, exit 7 at EOF. */
function fakeCat(tty: boolean): ExecSession {
  const queue: (Uint8Array | null)[] = [new TextEncoder().encode("err")];
  let wake: (() => void) | undefined;
  let first = true;
  const push = (item: Uint8Array | null) => {
    queue.push(item);
    wake?.();
  };
  return {
    tty,
    output: (async function* () {
      while (true) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const item = queue.shift()!;
        if (item === null) return;
        yield { stream: first && !tty ? "stderr" as const : "stdout" as const, data: item };
        first = false;
      }
    })(),
    write: (data) => (push(data.slice()), Promise.resolve()),
    closeStdin: () => (push(null), Promise.resolve()),
    resize: (
      { cols, rows },
    ) => (push(new TextEncoder().encode(`size ${rows} ${cols}`)), Promise.resolve()),
    exitCode: () => Promise.resolve(7),
    close: (end) => (execEnds.push(end), push(null), Promise.resolve()),
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

Deno.test("exec protocol: streams apart, stdin through with back-pressure, the exit code", async () => {
  await withHosts(async (connection) => {
    execEnds.length = 0;
    const exec = await openExec(connection, await sign("exec", { command: ["cat"] }));
    assert.equal(exec.tty, false);
    const big = Uint8Array.from({ length: 3 * 1024 * 1024 + 5 }, (_, i) => (i * 7) % 251);
    const writing = (async () => {
      await exec.write(big);
      await exec.end();
    })();
    const out: Uint8Array[] = [];
    let err = "";
    for await (const chunk of exec.output()) {
      if (chunk.stream === "stderr") err += new TextDecoder().decode(chunk.data);
      else out.push(chunk.data.slice());
    }
    await writing;
    assert.equal(err, "err");
    const all = new Uint8Array(out.reduce((n, c) => n + c.byteLength, 0));
    out.reduce((at, c) => (all.set(c, at), at + c.byteLength), 0);
    assert.deepEqual(all, big, "3 MiB through cat byte for byte (past the 1 MiB window)");
    assert.equal(await exec.exitCode, 7);
    assert.deepEqual(execEnds, [{ exitCode: 7, reason: "exited" }]);

    // a refusal before anything ran
    await assert.rejects(
      openExec(connection, await sign("exec", { command: ["refuse"] })),
      (e: unknown) => e instanceof RequestRefusedError && e.code === "unknown-task",
    );
    // a shell: resize reaches the session; the consumer cutting the session closes it
    const shell = await openExec(
      connection,
      await sign("exec", { command: ["sh"], tty: true, size: { cols: 80, rows: 24 } }),
    );
    assert.equal(shell.tty, true);
    await shell.resize({ cols: 100, rows: 40 });
    const it = shell.output();
    const first = await it.next();
    assert.equal(new TextDecoder().decode(first.value!.data), "err");
    const sized = await it.next();
    assert.equal(new TextDecoder().decode(sized.value!.data), "size 40 100");
    shell.close();
    while (execEnds.length < 2) await new Promise((r) => setTimeout(r, 10));
    assert.equal(execEnds[1]!.exitCode, undefined);
    assert.match(execEnds[1]!.reason, /connection/);
  });
});

Deno.test("exec protocol: a frame over the limit or of the wrong direction ends the session", async () => {
  await withHosts(async (connection) => {
    execEnds.length = 0;
    for (const bad of [new Uint8Array([6, 0, 0, 0, 0]), new Uint8Array(70_000).fill(1)]) {
      const stream = await connection.newStream("/sonm/exec/1.0.0");
      const envelope = await sign("exec", { command: ["cat"] });
      stream.send(encodeFrame(new TextEncoder().encode(JSON.stringify(envelope))));
      stream.send(encodeFrame(bad));
      const ends = execEnds.length;
      while (execEnds.length === ends) await new Promise((r) => setTimeout(r, 10));
      assert.match(execEnds.at(-1)!.reason, /^protocol error: /);
      stream.abort(new Error("done"));
    }
  });
});
