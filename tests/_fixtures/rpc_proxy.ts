/**
 * A loopback JSON-RPC proxy in front of a real node (anvil), for tests that
 * need another node's behaviour: it counts calls by method, and a rule may
 * answer a call itself or rewrite the node's answer (another node's error
 * dialect, a range limit, a lost header). Requests in a batch are handled
 * one by one.
 *
 * @module
 */
import type { Hex } from "viem";
import { type RecordedAnswer, REVERT_SAMPLE } from "../../src/chain/_rpc_dialect_fixtures.ts";

/** One JSON-RPC request. */
export type RpcCall = { id: unknown; method: string; params: unknown[] };
/** One JSON-RPC answer (result or error). */
export type RpcAnswer = { jsonrpc: "2.0"; id: unknown; result?: unknown; error?: RecordedAnswer };

/**
 * A rule: return an answer to use it, undefined to pass. `upstream` sends
 * the call to the node (at most once per call; the rule may skip it).
 */
export type ProxyRule = (
  call: RpcCall,
  upstream: () => Promise<RpcAnswer>,
) => Promise<RpcAnswer | undefined> | RpcAnswer | undefined;

/** A running proxy. */
export type RpcProxy = {
  url: string;
  /** Calls seen, by method. */
  calls: Map<string, number>;
  /** All calls seen. */
  total(): number;
  /** Replaces the rules (none: a plain pass-through). */
  setRules(rules: readonly ProxyRule[]): void;
  close(): Promise<void>;
};

/** Starts a proxy to `target` on a free loopback port. */
export function startRpcProxy(target: string, rules: readonly ProxyRule[] = []): RpcProxy {
  let current = [...rules];
  const calls = new Map<string, number>();
  const forward = async (call: RpcCall): Promise<RpcAnswer> => {
    const res = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", ...call }),
    });
    return await res.json() as RpcAnswer;
  };
  const handle = async (call: RpcCall): Promise<RpcAnswer> => {
    calls.set(call.method, (calls.get(call.method) ?? 0) + 1);
    let cached: Promise<RpcAnswer> | undefined;
    const upstream = () => (cached ??= forward(call));
    for (const rule of current) {
      const answer = await rule(call, upstream);
      if (answer !== undefined) return { ...answer, id: call.id };
    }
    return await upstream();
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = JSON.parse(await req.text()) as RpcCall | RpcCall[];
    const out = Array.isArray(body) ? await Promise.all(body.map(handle)) : await handle(body);
    return Response.json(out);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    calls,
    total: () => [...calls.values()].reduce((a, b) => a + b, 0),
    setRules(rules) {
      current = [...rules];
    },
    close: () => server.shutdown(),
  };
}

/** `answer` as an error response, with `data` (revert data) in place of the sample's. */
export function errorAnswer(answer: RecordedAnswer, data?: Hex): RpcAnswer {
  let json = JSON.stringify(answer);
  if (data !== undefined) json = json.replaceAll(REVERT_SAMPLE, data);
  return { jsonrpc: "2.0", id: null, error: JSON.parse(json) as RecordedAnswer };
}

/** The revert data of a node's error answer (anvil puts it in `data`). */
export function upstreamRevertData(answer: RpcAnswer): Hex | undefined {
  const data = answer.error?.data;
  return typeof data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(data) ? data as Hex : undefined;
}

/**
 * A rule that answers every revert of `methods` in `dialect` (its recorded
 * revert answer, carrying the real revert data where the dialect has data).
 */
export function revertDialect(
  dialect: RecordedAnswer,
  methods: readonly string[] = ["eth_call", "eth_estimateGas"],
): ProxyRule {
  return async (call, upstream) => {
    if (!methods.includes(call.method)) return undefined;
    const answer = await upstream();
    if (answer.error === undefined) return answer;
    return errorAnswer(dialect, upstreamRevertData(answer));
  };
}
