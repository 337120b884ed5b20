import assert from "node:assert/strict";
import type { Abi, Address } from "viem";
import { blacklistAbi, oracleAbi, profileRegistryAbi, tokenAbi } from "../src/chain/contracts.ts";
import { type ChainFixture, expectRevert, startChainFixture } from "./_fixtures/anvil.ts";

function who(fx: ChainFixture) {
  const [owner, alice, bob] = fx.accounts;
  assert.ok(owner && alice && bob);
  return { owner, alice, bob };
}

const read = <T>(fx: ChainFixture, address: Address, abi: Abi, fn: string, args: unknown[] = []) =>
  fx.publicClient.readContract({ address, abi, functionName: fn, args }) as Promise<T>;

Deno.test("Token: owner mints, anyone uses the faucet, transfers check balance and allowance", async (t) => {
  await using fx = await startChainFixture();
  const { owner, alice, bob } = who(fx);
  const token = fx.addresses.token;

  await fx.step(t, "only the owner mints", async () => {
    await expectRevert(
      fx.send(alice, {
        address: token,
        abi: tokenAbi,
        functionName: "mint",
        args: [alice.address, 1n],
      }),
      "NotOwner",
      [alice.address],
    );
    const supply = await read<bigint>(fx, token, tokenAbi, "totalSupply");
    await fx.send(owner, {
      address: token,
      abi: tokenAbi,
      functionName: "mint",
      args: [bob.address, 5n],
    });
    assert.equal(await read<bigint>(fx, token, tokenAbi, "totalSupply"), supply + 5n);
  });
  await fx.step(t, "the faucet gives 1000 SNMT to the caller", async () => {
    const before = await fx.balance(alice.address);
    await fx.send(alice, { address: token, abi: tokenAbi, functionName: "faucet" });
    assert.equal(await fx.balance(alice.address), before + 1000n * 10n ** 18n);
  });
  await fx.step(t, "transfer and transferFrom revert with ERC-6093 errors", async () => {
    const balance = await fx.balance(alice.address);
    await expectRevert(
      fx.send(alice, {
        address: token,
        abi: tokenAbi,
        functionName: "transfer",
        args: [bob.address, balance + 1n],
      }),
      "ERC20InsufficientBalance",
      [alice.address, balance, balance + 1n],
    );
    await fx.send(alice, {
      address: token,
      abi: tokenAbi,
      functionName: "approve",
      args: [bob.address, 10n],
    });
    await expectRevert(
      fx.send(bob, {
        address: token,
        abi: tokenAbi,
        functionName: "transferFrom",
        args: [alice.address, bob.address, 11n],
      }),
      "ERC20InsufficientAllowance",
      [bob.address, 10n, 11n],
    );
    await fx.send(bob, {
      address: token,
      abi: tokenAbi,
      functionName: "transferFrom",
      args: [alice.address, bob.address, 10n],
    });
    assert.equal(
      await read<bigint>(fx, token, tokenAbi, "allowance", [alice.address, bob.address]),
      0n,
    );
    assert.equal(await fx.balance(alice.address), balance - 10n);
  });
});

Deno.test("Oracle: the owner sets a rate in (0, 2^96]", async (t) => {
  await using fx = await startChainFixture();
  const { owner, alice } = who(fx);
  const oracle = fx.addresses.oracle;
  const setRate = (from: typeof owner, rate: bigint) =>
    fx.send(from, { address: oracle, abi: oracleAbi, functionName: "setRate", args: [rate] });

  await fx.step(t, "bounds and ownership", async () => {
    await expectRevert(setRate(owner, 0n), "RateOutOfRange", [0n, 2n ** 96n]);
    await expectRevert(setRate(owner, 2n ** 96n + 1n), "RateOutOfRange", [
      2n ** 96n + 1n,
      2n ** 96n,
    ]);
    await expectRevert(setRate(alice, 5n), "NotOwner", [alice.address]);
    await setRate(owner, 2n ** 96n);
    assert.equal(await read<bigint>(fx, oracle, oracleAbi, "rate"), 2n ** 96n);
  });
});

Deno.test("Blacklist: own lists, market-only addFor, market set once", async (t) => {
  await using fx = await startChainFixture();
  const { owner, alice, bob } = who(fx);
  const blacklist = fx.addresses.blacklist;
  const listed = (o: Address, w: Address) =>
    read<boolean>(fx, blacklist, blacklistAbi, "listed", [o, w]);

  await fx.step(t, "each address edits only its own list", async () => {
    await fx.send(alice, {
      address: blacklist,
      abi: blacklistAbi,
      functionName: "add",
      args: [bob.address],
    });
    assert.equal(await listed(alice.address, bob.address), true);
    assert.equal(await listed(bob.address, bob.address), false);
    await fx.send(bob, {
      address: blacklist,
      abi: blacklistAbi,
      functionName: "remove",
      args: [bob.address],
    });
    assert.equal(await listed(alice.address, bob.address), true, "bob cannot edit alice's list");
    await fx.send(alice, {
      address: blacklist,
      abi: blacklistAbi,
      functionName: "remove",
      args: [bob.address],
    });
    assert.equal(await listed(alice.address, bob.address), false);
  });
  await fx.step(t, "only the market adds for others; the market is set once", async () => {
    await expectRevert(
      fx.send(alice, {
        address: blacklist,
        abi: blacklistAbi,
        functionName: "addFor",
        args: [bob.address, alice.address],
      }),
      "NotMarket",
      [alice.address],
    );
    await expectRevert(
      fx.send(owner, {
        address: blacklist,
        abi: blacklistAbi,
        functionName: "setMarket",
        args: [alice.address],
      }),
      "MarketAlreadySet",
      [fx.addresses.market],
    );
  });
});

Deno.test("ProfileRegistry: admins set levels 0-3; the owner manages admins", async (t) => {
  await using fx = await startChainFixture();
  const { owner, alice, bob } = who(fx);
  const profiles = fx.addresses.profiles;
  const setLevel = (from: typeof owner, x: Address, level: number) =>
    fx.send(from, {
      address: profiles,
      abi: profileRegistryAbi,
      functionName: "setLevel",
      args: [x, level],
    });

  await fx.step(t, "levels, bounds and admin rights", async () => {
    await expectRevert(setLevel(alice, bob.address, 1), "NotAdmin", [alice.address]);
    await expectRevert(setLevel(owner, bob.address, 4), "LevelOutOfRange", [4, 3]);
    await expectRevert(
      fx.send(alice, {
        address: profiles,
        abi: profileRegistryAbi,
        functionName: "addAdmin",
        args: [alice.address],
      }),
      "NotOwner",
      [alice.address],
    );
    await fx.send(owner, {
      address: profiles,
      abi: profileRegistryAbi,
      functionName: "addAdmin",
      args: [alice.address],
    });
    await setLevel(alice, bob.address, 3);
    assert.equal(await read<number>(fx, profiles, profileRegistryAbi, "levelOf", [bob.address]), 3);
    await fx.send(owner, {
      address: profiles,
      abi: profileRegistryAbi,
      functionName: "removeAdmin",
      args: [alice.address],
    });
    await expectRevert(setLevel(alice, bob.address, 0), "NotAdmin", [alice.address]);
  });
});
