import assert from "node:assert/strict";
import { createPublicClient, createWalletClient, getAddress, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { blacklistAbi, marketAbi, oracleAbi, tokenAbi } from "../src/chain/contracts.ts";
import { deployContracts } from "../src/chain/deploy_contracts.ts";
import { AnvilStartError, startAnvil } from "../src/chain/start_anvil.ts";
import { ChainInputError } from "../src/chain/errors.ts";

Deno.test("startAnvil() serves the standard dev accounts with their private keys", async () => {
  const anvil = await startAnvil({ port: 0 });
  try {
    assert.ok(anvil.port > 0);
    assert.equal(anvil.rpcUrl, `http://127.0.0.1:${anvil.port}`);
    assert.equal(anvil.chainId, 31337);
    const client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) });
    const served = await client.request({ method: "eth_accounts" } as never) as string[];
    assert.deepEqual(
      anvil.accounts.map((a) => getAddress(a.address)),
      served.map((a) => getAddress(a)),
    );
    for (const account of anvil.accounts) {
      assert.equal(privateKeyToAccount(account.privateKey).address, getAddress(account.address));
    }
  } finally {
    await anvil.stop();
  }
});

Deno.test("startAnvil() stop() ends the node and is idempotent", async () => {
  const anvil = await startAnvil();
  await anvil.stop();
  await anvil.stop();
  await assert.rejects(
    fetch(anvil.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    }),
  );
});

Deno.test("startAnvil() reports anvil's output when the port is taken", async () => {
  const first = await startAnvil();
  try {
    const error = await startAnvil({ port: first.port }).then(
      () => assert.fail("a second anvil started on a taken port"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AnvilStartError, String(error));
    assert.match(error.message, /^Cannot start anvil ".*": process exited with code \d+/);
    assert.ok(error.output.length > 0, "the error carries anvil's output");
  } finally {
    await first.stop();
  }
});

Deno.test("startAnvil() fails clearly for a missing binary", async () => {
  await assert.rejects(
    startAnvil({ binary: "/nonexistent/anvil" }),
    (e: unknown) =>
      e instanceof AnvilStartError &&
      /Cannot start anvil "\/nonexistent\/anvil": cannot spawn/.test(e.message),
  );
});

Deno.test("startAnvil() honours an aborted signal", async () => {
  const controller = new AbortController();
  controller.abort(new Error("stop now"));
  await assert.rejects(startAnvil({ signal: controller.signal }), /stop now/);
});

Deno.test("deployContracts() deploys and wires the market", async () => {
  const anvil = await startAnvil({ pruneHistory: true });
  try {
    const [deployer] = anvil.accounts;
    assert.ok(deployer !== undefined);
    const wallet = createWalletClient({
      account: privateKeyToAccount(deployer.privateKey),
      chain: foundry,
      transport: http(anvil.rpcUrl),
    });
    const client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) });
    const addresses = await deployContracts(wallet, {
      benchmarksQuantity: 13,
      netflagsQuantity: 3,
      initialRate: 5n * 10n ** 17n,
    });
    assert.equal(new Set(Object.values(addresses)).size, 5);
    const read = (
      address: `0x${string}`,
      abi: typeof marketAbi | typeof blacklistAbi | typeof oracleAbi | typeof tokenAbi,
      functionName: string,
    ) => client.readContract({ address, abi, functionName, args: [] } as never) as Promise<unknown>;
    assert.equal(await read(addresses.market, marketAbi, "benchmarksQuantity"), 13n);
    assert.equal(await read(addresses.market, marketAbi, "netflagsQuantity"), 3n);
    assert.equal(
      getAddress(await read(addresses.market, marketAbi, "token") as string),
      addresses.token,
    );
    assert.equal(
      getAddress(await read(addresses.market, marketAbi, "oracle") as string),
      addresses.oracle,
    );
    assert.equal(
      getAddress(await read(addresses.market, marketAbi, "profiles") as string),
      addresses.profiles,
    );
    assert.equal(
      getAddress(await read(addresses.market, marketAbi, "blacklist") as string),
      addresses.blacklist,
    );
    assert.equal(
      getAddress(await read(addresses.blacklist, blacklistAbi, "market") as string),
      addresses.market,
    );
    assert.equal(await read(addresses.oracle, oracleAbi, "rate"), 5n * 10n ** 17n);
    assert.equal(await read(addresses.token, tokenAbi, "symbol"), "SNMT");
    assert.equal(await read(addresses.token, tokenAbi, "name"), "SONM Test Token");
    assert.equal(await read(addresses.token, tokenAbi, "decimals"), 18);
  } finally {
    await anvil.stop();
  }
});

Deno.test("deployContracts() rejects a zero oracle rate before sending anything", async () => {
  const wallet = createWalletClient({
    account: privateKeyToAccount(
      "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    ),
    chain: foundry,
    transport: http("http://127.0.0.1:9"),
  });
  await assert.rejects(
    deployContracts(wallet, { initialRate: 0n }),
    (e: unknown) =>
      e instanceof ChainInputError && e.field === "initialRate" &&
      e.message === "Cannot deploy contracts: initialRate must be in 1..2^96: current value is 0",
  );
});
