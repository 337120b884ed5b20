import assert from "node:assert/strict";
import { privateKeyToAccount } from "viem/accounts";
import { type Address, parseEther } from "viem";
import { startAnvil } from "../src/chain/start_anvil.ts";
import { connectChain } from "../src/chain/connect_chain.ts";
import { createTxSender, type NonceEntry, type NonceStore } from "../src/chain/create_tx_sender.ts";
import { ChainIdMismatchError, ChainRpcError } from "../src/chain/errors.ts";
import { openState } from "../src/agent/state/state.ts";
import { createChainStore } from "../src/agent/state/chain_store.ts";

function openChainTestDb() {
  const state = openState({ path: ":memory:" });
  return { store: createChainStore(state.db), close: () => state.close() };
}

Deno.test("connectChain() refuses a node of another chain", async () => {
  const anvil = await startAnvil();
  try {
    await assert.rejects(
      connectChain({ url: anvil.rpcUrl, chainId: 1 }),
      (e: unknown) => e instanceof ChainIdMismatchError && e.expected === 1 && e.actual === 31337,
    );
    const client = await connectChain({ url: anvil.rpcUrl.replace("http", "ws"), chainId: 31337 });
    assert.equal(client.chain.id, 31337);
    assert.ok(await client.public.getBlockNumber() >= 0n);
    await client.close();
  } finally {
    await anvil.stop();
  }
});

Deno.test("createTxSender() gives concurrent sends distinct nonces and a restart continues", async () => {
  const anvil = await startAnvil();
  const db = openChainTestDb();
  try {
    const client = await connectChain({ url: anvil.rpcUrl });
    const [from, to] = anvil.accounts as [typeof anvil.accounts[0], typeof anvil.accounts[0]];
    const account = privateKeyToAccount(from.privateKey);
    const store: NonceStore = db.store;
    const sender = createTxSender(client, { account, nonceStore: store });
    const before = await client.public.getBalance({ address: to.address });
    const receipts = await Promise.all(
      Array.from({ length: 12 }, () => sender.sendTransaction({ to: to.address, value: 1000n })),
    );
    const nonces = await Promise.all(
      receipts.map((r) =>
        client.public.getTransaction({ hash: r.transactionHash }).then((t) => t.nonce)
      ),
    );
    assert.deepEqual([...nonces].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i));
    assert.ok(receipts.every((r) => r.status === "success"));
    assert.equal(await client.public.getBalance({ address: to.address }), before + 12_000n);
    assert.equal(store.loadNonce(account.address)?.nonce, 11n);

    // a new sender (a restarted agent) continues after the stored nonce
    const again = createTxSender(client, { account, nonceStore: store });
    const r = await again.sendTransaction({ to: to.address, value: 1n });
    assert.equal((await client.public.getTransaction({ hash: r.transactionHash })).nonce, 12);
    assert.equal(store.loadNonce(account.address)?.nonce, 12n);

    // the account also sent from elsewhere: the old sender resyncs with the chain
    const other = createTxSender(client, { account });
    await other.sendTransaction({ to: to.address, value: 1n }); // nonce 13
    const r2 = await sender.sendTransaction({ to: to.address, value: 1n });
    assert.equal((await client.public.getTransaction({ hash: r2.transactionHash })).nonce, 14);
  } finally {
    db.close();
    await anvil.stop();
  }
});

Deno.test("createTxSender() pipelines concurrent sends into one block, each told when it is in the pool", async () => {
  const anvil = await startAnvil();
  const node = (method: string) =>
    fetch(anvil.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method,
        params: method === "evm_setAutomine" ? [false] : [],
      }),
    }).then((r) => r.json());
  try {
    const client = await connectChain({ url: anvil.rpcUrl });
    const account = privateKeyToAccount(anvil.accounts[8]!.privateKey);
    const sender = createTxSender(client, { account });
    const to = anvil.accounts[9]!.address;
    await node("evm_setAutomine"); // blocks only when the test mines one
    const sent: bigint[] = [];
    let allSent!: () => void;
    const inPool = new Promise<void>((resolve) => (allSent = resolve));
    const receipts = Promise.all(
      Array.from({ length: 6 }, () =>
        sender.sendTransaction({
          to,
          value: 1n,
          onSent: (tx) => {
            sent.push(tx.nonce);
            if (sent.length === 6) allSent();
          },
        })),
    );
    // no send waits for an earlier one's receipt: all six are in the pool before any block
    await inPool;
    assert.deepEqual(sent, [0n, 1n, 2n, 3n, 4n, 5n]);
    await node("evm_mine");
    const all = await receipts;
    assert.ok(all.every((r) => r.status === "success"));
    assert.ok(all.every((r) => r.blockNumber === all[0]!.blockNumber), "one block holds them");
  } finally {
    await anvil.stop();
  }
});

Deno.test("createTxSender() ignores a stored nonce the node does not know", async () => {
  const anvil = await startAnvil();
  try {
    const client = await connectChain({ url: anvil.rpcUrl });
    const account = privateKeyToAccount(anvil.accounts[2]!.privateKey);
    const entries = new Map<Address, NonceEntry>();
    // left over from a devnet that was reset: nonce 40, unknown tx
    entries.set(account.address, { nonce: 40n, txHash: `0x${"ab".repeat(32)}` });
    const store: NonceStore = {
      loadNonce: (a) => entries.get(a),
      saveNonce: (a, e) => void entries.set(a, e),
    };
    const sender = createTxSender(client, { account, nonceStore: store });
    const r = await sender.sendTransaction({ to: anvil.accounts[3]!.address, value: 1n });
    assert.equal((await client.public.getTransaction({ hash: r.transactionHash })).nonce, 0);
    assert.equal(entries.get(account.address)?.nonce, 0n);
  } finally {
    await anvil.stop();
  }
});

Deno.test("createTxSender() throws on a failing transaction and keeps the nonce", async () => {
  const anvil = await startAnvil();
  try {
    const client = await connectChain({ url: anvil.rpcUrl });
    const account = privateKeyToAccount(anvil.accounts[4]!.privateKey);
    const sender = createTxSender(client, { account });
    await assert.rejects(
      sender.sendTransaction({ to: anvil.accounts[5]!.address, value: parseEther("1000000") }),
      /Cannot send transaction/,
    );
    const r = await sender.sendTransaction({ to: anvil.accounts[5]!.address, value: 1n });
    assert.equal((await client.public.getTransaction({ hash: r.transactionHash })).nonce, 0);
  } finally {
    await anvil.stop();
  }
});

Deno.test("createTxSender() gives a clear error when the RPC is down", async () => {
  const anvil = await startAnvil();
  const client = await connectChain({ url: anvil.rpcUrl, retry: { attempts: 3, backoffMs: 20 } });
  await anvil.stop(); // the port is now closed
  const sender = createTxSender(client, {
    account: privateKeyToAccount(anvil.accounts[0]!.privateKey),
  });
  await assert.rejects(
    sender.sendTransaction({ to: anvil.accounts[1]!.address, value: 1n }),
    (e: unknown) =>
      e instanceof ChainRpcError && e.attempts === 3 && e.url === anvil.rpcUrl &&
      e.message.includes(anvil.rpcUrl),
  );
  await assert.rejects(
    connectChain({ url: anvil.rpcUrl, retry: { attempts: 2, backoffMs: 10 } }),
    ChainRpcError,
  );
});

/**
 * A loopback HTTP proxy in front of anvil that fails requests on purpose.
 * Of every three eth_sendRawTransaction calls, the first is refused with a
 * 502 before reaching anvil, the second is forwarded and then answered with
 * a 502 (the node took the transaction, the answer was lost), the third
 * passes. Every fourth other call is refused.
 */
function flakyProxy(target: string) {
  let sends = 0;
  let others = 0;
  const counts = { refusedSends: 0, lostSends: 0, refusedOthers: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.text();
    const isSend = body.includes('"eth_sendRawTransaction"');
    const k = isSend ? ++sends : ++others;
    if (isSend && k % 3 === 1) {
      counts.refusedSends++;
      return new Response("bad gateway", { status: 502 });
    }
    if (!isSend && k % 4 === 0) {
      counts.refusedOthers++;
      return new Response("bad gateway", { status: 502 });
    }
    const res = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const text = await res.text();
    if (isSend && k % 3 === 2) {
      counts.lostSends++;
      return new Response("bad gateway", { status: 502 });
    }
    return new Response(text, {
      status: res.status,
      headers: { "content-type": "application/json" },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, counts, close: () => server.shutdown() };
}

Deno.test("createTxSender() retries transient RPC failures, even when the node got the transaction", async () => {
  const anvil = await startAnvil();
  const proxy = flakyProxy(anvil.rpcUrl);
  try {
    const client = await connectChain({ url: proxy.url, retry: { attempts: 6, backoffMs: 5 } });
    const account = privateKeyToAccount(anvil.accounts[6]!.privateKey);
    const to = anvil.accounts[7]!.address;
    const sender = createTxSender(client, { account });
    const direct = await connectChain({ url: anvil.rpcUrl });
    const before = await direct.public.getBalance({ address: to });
    const receipts = [];
    for (let i = 0; i < 8; i++) receipts.push(await sender.sendTransaction({ to, value: 5n }));
    receipts.push(
      ...await Promise.all(
        Array.from({ length: 8 }, () => sender.sendTransaction({ to, value: 5n })),
      ),
    );
    // every send landed exactly once: no double spend, no gap
    assert.equal(await direct.public.getBalance({ address: to }), before + 16n * 5n);
    assert.equal(await direct.public.getTransactionCount({ address: account.address }), 16);
    const hashes = new Set(receipts.map((r) => r.transactionHash));
    assert.equal(hashes.size, 16);
    const { refusedSends, lostSends, refusedOthers } = proxy.counts;
    assert.ok(
      refusedSends >= 8 && lostSends >= 8 && refusedOthers > 0,
      JSON.stringify(proxy.counts),
    );
  } finally {
    await proxy.close();
    await anvil.stop();
  }
});

Deno.test("createTxSender() sends a transaction of unknown fate again, never a second one", async () => {
  const anvil = await startAnvil();
  // forwards everything, but while `dark` the sender never learns what became of its
  // transaction (an RPC that hangs, then comes back)
  let dark = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.text();
    const res = await fetch(anvil.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const text = await res.text();
    // the node takes the transaction; the answer and the receipt never come back
    if (dark && /eth_sendRawTransaction|eth_getTransactionReceipt/.test(body)) {
      return new Response("bad gateway", { status: 502 });
    }
    return new Response(text, {
      status: res.status,
      headers: { "content-type": "application/json" },
    });
  });
  try {
    const client = await connectChain({
      url: `http://127.0.0.1:${server.addr.port}`,
      retry: { attempts: 2, backoffMs: 5 },
    });
    const direct = await connectChain({ url: anvil.rpcUrl });
    const account = privateKeyToAccount(anvil.accounts[8]!.privateKey);
    const to = anvil.accounts[9]!.address;
    const sender = createTxSender(client, { account });
    const before = await direct.public.getBalance({ address: to });
    dark = true;
    await assert.rejects(sender.sendTransaction({ to, value: 7n }), ChainRpcError);
    assert.equal(await direct.public.getTransactionCount({ address: account.address }), 1);
    dark = false;
    // the same call again: the node knows the transaction, nothing new is sent
    const receipt = await sender.sendTransaction({ to, value: 7n });
    assert.equal(await direct.public.getTransactionCount({ address: account.address }), 1);
    assert.equal(await direct.public.getBalance({ address: to }), before + 7n);
    assert.equal(receipt.status, "success");
    // a different call afterwards takes the next nonce
    await sender.sendTransaction({ to, value: 1n });
    assert.equal(await direct.public.getTransactionCount({ address: account.address }), 2);
  } finally {
    await server.shutdown();
    await anvil.stop();
  }
});
