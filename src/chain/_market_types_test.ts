/**
 * The chain seam keeps viem's types: these compile only while readMarket's
 * return type follows the ABI and the error unions narrow on `name`.
 */
import assert from "node:assert/strict";
import type { Address } from "viem";
import { ChainRevertError, ChainRpcError } from "./errors.ts";
import type { GetOrderErrorType } from "./get_order.ts";
import { type MarketEventArgs, readMarket } from "./_market.ts";
import type { MarketClient } from "./create_market_client.ts";

/** Type-level checks: never called, only compiled. */
function _types(client: MarketClient) {
  const amount: Promise<bigint> = readMarket(client, "ordersAmount", []);
  const master: Promise<Address> = readMarket(client, "masterOf", [client.addresses.market]);
  // @ts-expect-error: getOrder takes an order id, not an address
  readMarket(client, "getOrder", [client.addresses.market]);
  // @ts-expect-error: placeOrder is not a view
  readMarket(client, "placeOrder", []);
  const placed: MarketEventArgs<"OrderPlaced">["orderId"] = 1n;
  return [amount, master, placed];
}

/** What a caller writes: no cast, the union narrows on `name`. */
function describe(error: GetOrderErrorType): string {
  switch (error.name) {
    case "ChainRevertError":
      return `reverted: ${error.errorName ?? "?"}`; // errorName exists only on this member
    case "ChainRpcError":
      return `rpc: ${error.attempts} attempts`;
  }
}

Deno.test("GetOrderErrorType narrows on name to each error's own fields", () => {
  assert.equal(typeof _types, "function");
  const revert = new ChainRevertError({ functionName: "getOrder", errorName: "OrderNotActive" });
  const rpc = new ChainRpcError({ action: "read", url: "http://x", attempts: 3, detail: "down" });
  assert.equal(describe(revert as GetOrderErrorType), "reverted: OrderNotActive");
  assert.equal(describe(rpc as GetOrderErrorType), "rpc: 3 attempts");
});
