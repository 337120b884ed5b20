import assert from "node:assert/strict";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { dispatchTaskRequest, type RequestEnvelope, signRequest } from "../../nat/mod.ts";
import { systemClock } from "../base/mod.ts";
import { openState } from "../state/state.ts";
import { tasksTable } from "../state/tasks_table.ts";
import { createTaskHandler } from "./task_handler.ts";
import type { TaskRuntime } from "./task_runtime.ts";

const ADMIN = privateKeyToAccount(`0x${"42".repeat(32)}`);
const DOMAIN = { chainId: 31337, market: "0x00000000000000000000000000000000000000aa" } as const;
const now = () => BigInt(Math.floor(Date.now() / 1000));

/** The handler over a real state file; an administrator's `admin.status` needs no chain or Docker. */
function handlerOn(path: string, signedSince?: bigint) {
  const state = openState({ path });
  const runtime = {
    tasks: tasksTable(state.db),
    clock: systemClock,
    statusOf: () => ({}),
  } as unknown as TaskRuntime;
  const handler = createTaskHandler(runtime, {
    admins: [ADMIN.address],
    ...(signedSince === undefined ? {} : { signedSince }),
  });
  const send = async (envelope: RequestEnvelope) => {
    const reply = await dispatchTaskRequest(handler, structuredClone(envelope), { domain: DOMAIN });
    return reply.kind === "refused" ? `${reply.code}: ${reply.message}` : reply.kind;
  };
  return { send, close: () => state.close() };
}

function sign(nonce: bigint, issuedAt: bigint): Promise<RequestEnvelope> {
  return signRequest(ADMIN, DOMAIN, {
    action: "admin.status",
    dealId: 0n,
    args: {},
    nonce,
    expiry: issuedAt + 3000n,
    issuedAt,
  });
}

Deno.test("createTaskHandler() refuses a replay after the state is lost: requests signed before the new state are not honoured", async () => {
  const dir = await Deno.makeTempDir({ prefix: "replay-" });
  const path = join(dir, "agent.sqlite");
  try {
    const captured = await sign(1n, now() - 120n); // signed 2 minutes ago, valid 48 more
    // the rig's state then recorded nonces since an hour before: honoured once, then a replay
    const old = handlerOn(path, now() - 3600n);
    assert.equal(await old.send(captured), "ok");
    assert.match(await old.send(captured), /^replay: /);
    old.close();

    // a state lost: a new file, created after the request was signed
    await Deno.remove(path);
    const fresh = handlerOn(path);
    try {
      assert.match(
        await fresh.send(captured),
        /^expired: request was signed at \d+, before this rig's record of used nonces begins/,
      );
      // a request signed now passes, once
      const signedNow = await sign(2n, now());
      assert.equal(await fresh.send(signedNow), "ok");
      assert.match(await fresh.send(signedNow), /^replay: /);
    } finally {
      fresh.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createTaskHandler() honours a request signed after the state began, and refuses its replay across a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "replay-" });
  const path = join(dir, "agent.sqlite");
  try {
    const rig = handlerOn(path);
    const request = await sign(7n, now());
    assert.equal(await rig.send(request), "ok");
    rig.close();
    const restarted = handlerOn(path); // the same file: its record of nonces is intact
    try {
      assert.match(await restarted.send(request), /^replay: nonce 7 /);
      assert.equal(await restarted.send(await sign(8n, now())), "ok");
    } finally {
      restarted.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verifyRequest() bounds a request's life by when it was signed", async () => {
  const { send, close } = handlerOn(":memory:");
  try {
    const future = await signRequest(ADMIN, DOMAIN, {
      action: "admin.status",
      dealId: 0n,
      args: {},
      nonce: 3n,
      expiry: now() + 600n,
      issuedAt: now() + 300n,
    });
    assert.match(
      await send(future),
      /^malformed: request issuedAt \d+ is ahead of the rig's clock/,
    );
    const long = await signRequest(ADMIN, DOMAIN, {
      action: "admin.status",
      dealId: 0n,
      args: {},
      nonce: 4n,
      expiry: now() + 600n,
      issuedAt: now() - 3500n,
    });
    assert.match(await send(long), /^expired: request is valid for 4100 s after it was signed/);
  } finally {
    close();
  }
});
