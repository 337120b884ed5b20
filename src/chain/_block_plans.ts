/**
 * The indexer's pure step: decoded logs in, per-block plans out. Orders,
 * deals, change requests, worker bindings, levels and blacklist entries come
 * whole from their events: nothing is read at an old block, so any full node
 * serves the index (no archive state). The one read left is an order whose
 * `OrderUpdated` arrives without its `OrderPlaced` (an index that starts past
 * the order's placement): its fixed fields are read at `latest` and the
 * event's fields laid over them. Private to the indexer.
 *
 * @module
 */
import { type Address, type Hex, parseEventLogs, type RpcLog, zeroAddress } from "viem";
import { blacklistAbi, marketAbi, profileRegistryAbi } from "./contracts.ts";
import {
  decodeOrderPlaced,
  decodeOrderUpdated,
  ORDER_PLACED_TOPIC,
  ORDER_UPDATED_TOPIC,
} from "./_order_events.ts";
import {
  type RawChangeRequest,
  type RawDeal,
  toChangeRequestState,
  toDealState,
} from "./_market.ts";
import type {
  BillRecord,
  ChainEvent,
  ChangeRequestState,
  DealState,
  EventSource,
  LevelState,
  ListedState,
  OrderState,
  WorkerState,
} from "./types.ts";
import type { IdentityLevel } from "../matcher/mod.ts";

const eventsAbi = [
  ...marketAbi.filter((x) => x.type === "event"),
  ...blacklistAbi.filter((x) => x.type === "event"),
  ...profileRegistryAbi.filter((x) => x.type === "event"),
] as const;

/** One decoded log of the followed contracts. */
export type DecodedLog = {
  source: EventSource;
  eventName: string;
  /** Decoded arguments by name; `OrderPlaced` keeps `orderId` and `author` (the order is `order`). */
  args: Record<string, unknown>;
  logIndex: number;
  transactionHash: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  /** `OrderPlaced`: the order as stored. */
  order?: OrderState | undefined;
  /** `OrderUpdated`: the changed fields. */
  update?: { status: number; frozenSum: bigint; dealId: bigint } | undefined;
};

/**
 * Decodes the logs of the followed contracts (others and removed ones are
 * dropped), in block and log order.
 *
 * @example
 * ```ts ignore
 * const logs = decodeLogs(await getLogsRaw(), new Map([[market.toLowerCase(), "market"]]));
 * ```
 */
export function decodeLogs(
  raw: readonly RpcLog[],
  sourceOf: ReadonlyMap<string, EventSource>,
): DecodedLog[] {
  const out: DecodedLog[] = [];
  const generic: RpcLog[] = [];
  const addresses = new Map<string, `0x${string}`>();
  for (const l of raw) {
    if (l.removed || l.blockNumber === null || l.logIndex === null) continue;
    const source = sourceOf.get(l.address.toLowerCase());
    if (source === undefined) continue;
    const topic = l.topics[0];
    if (source === "market" && topic === ORDER_PLACED_TOPIC) {
      const order = decodeOrderPlaced(l, addresses);
      out.push({
        ...where(l, source),
        eventName: "OrderPlaced",
        args: { orderId: order.id, author: order.author },
        order,
      });
    } else if (source === "market" && topic === ORDER_UPDATED_TOPIC) {
      const u = decodeOrderUpdated(l);
      out.push({
        ...where(l, source),
        eventName: "OrderUpdated",
        args: { ...u },
        update: { status: u.status, frozenSum: u.frozenSum, dealId: u.dealId },
      });
    } else {
      generic.push(l);
    }
  }
  for (const l of parseEventLogs({ abi: eventsAbi, logs: generic })) {
    const source = sourceOf.get(l.address.toLowerCase()) as EventSource;
    out.push({
      ...where(l, source),
      eventName: l.eventName,
      args: l.args as Record<string, unknown>,
    });
  }
  return out.sort((x, y) =>
    x.blockNumber === y.blockNumber
      ? x.logIndex - y.logIndex
      : (x.blockNumber < y.blockNumber ? -1 : 1)
  );
}

/** Where a log sits: as eth_getLogs gives it (hex) or as viem types it (decoded). */
type LogPlace = {
  logIndex: number | Hex | null;
  transactionHash: Hex | null;
  blockNumber: bigint | Hex | null;
  blockHash: Hex | null;
};

function where(l: LogPlace, source: EventSource) {
  return {
    source,
    logIndex: Number(l.logIndex),
    transactionHash: l.transactionHash as Hex,
    blockNumber: BigInt(l.blockNumber as Hex),
    blockHash: l.blockHash as Hex,
  };
}

/** What one block changed. */
export type BlockPlan = {
  number: bigint;
  /** The block hash the logs name (checked against the header). */
  blockHash: Hex;
  events: ChainEvent[];
  bills: BillRecord[];
  /** Order states from events; ids in `orderReads` are completed by a read at `latest`. */
  orders: Map<bigint, OrderState>;
  /** Orders known only by an `OrderUpdated`: its fields, laid over the order read at `latest`. */
  orderReads: Map<bigint, { status: number; frozenSum: bigint; dealId: bigint }>;
  /** Each deal's state after the block (its last `DealOpened`/`DealUpdated`). */
  deals: Map<bigint, DealState>;
  changeRequests: Map<bigint, ChangeRequestState>;
  workers: Map<string, WorkerState>;
  levels: Map<string, LevelState>;
  listed: Map<string, ListedState>;
};

/**
 * Groups decoded logs (in order) into block plans. `orderBefore` gives an
 * order's state before the batch (the store's); an `OrderUpdated` of an
 * order unknown there and in the batch becomes a read at its block.
 *
 * @example
 * ```ts ignore
 * const plans = planBlocks(decodeLogs(raw, sources), (id) => store.getOrder(id));
 * ```
 */
export function planBlocks(
  logs: readonly DecodedLog[],
  orderBefore: (id: bigint) => OrderState | undefined,
): BlockPlan[] {
  const plans: BlockPlan[] = [];
  /** The batch's latest known state of each order it touched (undefined: unknown, read). */
  const latest = new Map<bigint, OrderState | undefined>();
  let plan: BlockPlan | undefined;
  for (const l of logs) {
    if (plan === undefined || plan.number !== l.blockNumber) {
      plan = emptyPlan(l.blockNumber, l.blockHash);
      plans.push(plan);
    }
    plan.events.push({
      blockNumber: l.blockNumber,
      logIndex: l.logIndex,
      txHash: l.transactionHash,
      contract: l.source,
      name: l.eventName,
      args: l.args,
    });
    applyLog(plan, l, latest, orderBefore);
  }
  return plans;
}

function emptyPlan(number: bigint, blockHash: Hex): BlockPlan {
  return {
    number,
    blockHash,
    events: [],
    bills: [],
    orders: new Map(),
    orderReads: new Map(),
    deals: new Map(),
    changeRequests: new Map(),
    workers: new Map(),
    levels: new Map(),
    listed: new Map(),
  };
}

function applyLog(
  plan: BlockPlan,
  l: DecodedLog,
  latest: Map<bigint, OrderState | undefined>,
  orderBefore: (id: bigint) => OrderState | undefined,
): void {
  const args = l.args;
  if (l.order !== undefined) {
    latest.set(l.order.id, l.order);
    plan.orders.set(l.order.id, l.order);
    plan.orderReads.delete(l.order.id);
    return;
  }
  if (l.update !== undefined) {
    const id = args.orderId as bigint;
    const before = latest.has(id) ? latest.get(id) : orderBefore(id);
    if (before === undefined) {
      latest.set(id, undefined);
      plan.orders.delete(id);
      plan.orderReads.set(id, l.update);
      return;
    }
    const next: OrderState = {
      ...before,
      active: l.update.status === 2,
      frozenSum: l.update.frozenSum,
      dealId: l.update.dealId,
    };
    latest.set(id, next);
    plan.orders.set(id, next);
    plan.orderReads.delete(id);
    return;
  }
  if (l.source === "market") applyMarketLog(plan, l);
  else if (l.source === "profiles" && l.eventName === "LevelSet") {
    const who = args.who as Address;
    plan.levels.set(who.toLowerCase(), { who, level: Number(args.level) as IdentityLevel });
  } else if (l.source === "blacklist" && (l.eventName === "Added" || l.eventName === "Removed")) {
    const owner = args.owner as Address;
    const who = args.who as Address;
    plan.listed.set(`${owner}:${who}`.toLowerCase(), {
      owner,
      who,
      listed: l.eventName === "Added",
    });
  }
}

function applyMarketLog(plan: BlockPlan, l: DecodedLog): void {
  const args = l.args;
  switch (l.eventName) {
    case "DealOpened":
    case "DealUpdated": {
      const deal = toDealState(args.dealId as bigint, args.deal as RawDeal);
      if (deal !== undefined) plan.deals.set(deal.id, deal);
      break;
    }
    case "Billed":
      plan.bills.push({
        blockNumber: l.blockNumber,
        logIndex: l.logIndex,
        txHash: l.transactionHash,
        dealId: args.dealId as bigint,
        paidAmount: args.paidAmount as bigint,
      });
      break;
    case "DealChangeRequestSet":
    case "DealChangeRequestUpdated": {
      const id = args.changeRequestId as bigint;
      const request = toChangeRequestState(id, args.request as RawChangeRequest);
      if (request !== undefined) plan.changeRequests.set(id, request);
      break;
    }
    case "WorkerAnnounced":
    case "WorkerConfirmed":
    case "WorkerRemoved": {
      // one hop (DESIGN.md): a request needs no master, a confirmation clears the request,
      // a removal leaves neither
      const worker = args.worker as Address;
      const master = args.master as Address;
      plan.workers.set(worker.toLowerCase(), {
        worker,
        master: l.eventName === "WorkerConfirmed" ? master : zeroAddress,
        pendingMaster: l.eventName === "WorkerAnnounced" ? master : zeroAddress,
      });
      break;
    }
  }
}
