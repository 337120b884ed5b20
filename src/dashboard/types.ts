/**
 * The status snapshot: what `sonm-agent status --json` prints, what `/api`
 * serves and what `/metrics` renders. Plain JSON: token amounts and ids are
 * decimal strings (exact), figures meant for charts are numbers.
 */

/** The chain as the agent's state knows it. */
export type ChainStatus = {
  /** Last block the indexer stored, or null before the first sync. */
  indexedBlock: string | null;
  /** The RPC's latest block when the agent last asked, or null when unknown. */
  headBlock: string | null;
  /** When the head was read (unix ms), or null. */
  headSeenAt: number | null;
  /** headBlock - indexedBlock, or null when either is unknown. */
  lagBlocks: number | null;
  /** Seconds since the agent last heard the chain (grows while the RPC hangs), or null. */
  headAgeSeconds: number | null;
  /**
   * Since when the agent cannot reach the chain (unix ms): its polls fail, or
   * it has not heard the chain for 15 s. Null while it hears it.
   */
  unreachableSince: number | null;
  /** Why, when the agent knows (the last failed poll's error). */
  unreachableReason: string | null;
  /**
   * Since when the node serves another chain than the one the agent indexed
   * ("chain changed under the agent": the node was reset), unix ms; null while not.
   */
  changedSince: number | null;
  /** What the indexer saw, while `changedSince` is set. */
  changedReason: string | null;
};

/** One BID the plan's ASK was held against, and the first market rule that fails. */
export type MatchVerdict = {
  bidId: string;
  bidUsdPerHour: string;
  matched: boolean;
  /** The failing rule's name (`price-and-duration`), absent when matched. */
  rule?: string | undefined;
  /** The rule's condition with the orders' values, absent when matched. */
  why?: string | undefined;
};

/** A plan and its orders. */
export type PlanStatus = {
  plan: string;
  /** Paused by the rig owner (dashboard or an admin): its ASK is cancelled and not placed again. */
  paused: boolean;
  /** The current ASK's id, or null when the plan has none (busy, or not placed yet). */
  orderId: string | null;
  /** Whether that ASK stands on chain. */
  active: boolean;
  /** The ASK's price, USD/h, or null. */
  usdPerHour: string | null;
  /**
   * What the plan asks now, USD/h (the config's, or an administrator's
   * price; `auto` for a market-priced plan), even while a deal keeps its
   * ASK off the market; null when the state does not say.
   */
  priceUsdPerHour: string | null;
  /** The open deal on this plan, if any. */
  dealId: string | null;
  /** Against the best standing BIDs: why each does not match (empty when there are none). */
  verdicts: MatchVerdict[];
  /** Every order placed for this plan, newest first. */
  orders: {
    orderId: string;
    placedAt: number;
    retiredAt: number | null;
    retireReason: string | null;
  }[];
};

/** A deal on one of the agent's ASKs. */
export type DealStatus = {
  dealId: string;
  plan: string | null;
  consumer: string;
  status: "ACCEPTED" | "CLOSED";
  usdPerHour: string;
  /** Seconds; 0 = spot. */
  duration: number;
  startTime: number;
  /** Unix seconds, 0 for a running spot deal. */
  endTime: number;
  /** Seconds until a forward deal ends (0 when over), null for spot or closed deals. */
  timeLeft: number | null;
  bills: number;
  /** Tokens paid to the supplier so far (decimal, 18 decimals). */
  billedTokens: string;
  billedUsd: number;
  /** Accrued since the last bill at the deal's price, not billed yet. */
  pendingTokens: string;
  pendingUsd: number;
};

/** One point of the earnings chart (cumulative values up to `t`). */
export type EarningsPoint = {
  /** Unix seconds. */
  t: number;
  settledTokens: number;
  settledUsd: number;
  pendingTokens: number;
  pendingUsd: number;
  /** Electricity spent since the first point, USD. */
  electricityUsd: number;
  /** settledUsd + pendingUsd - electricityUsd. */
  netUsd: number;
};

/** What the rig earned in a span of time, USD: settled and pending accrued in it, less power. */
export type PeriodEarnings = { earnedUsd: number; electricityUsd: number; netUsd: number };

/** What the rig earned. */
export type EarningsStatus = {
  /** Exact totals (decimal strings, 18 decimals). */
  settledTokens: string;
  pendingTokens: string;
  settledUsd: number;
  pendingUsd: number;
  electricityUsd: number;
  netUsd: number;
  /** Token wei per USD (the oracle rate the agent last read), or null when unknown. */
  rate: string | null;
  /** Since midnight, the rig's clock. */
  today: PeriodEarnings;
  /** Since Monday 00:00, the rig's clock. */
  week: PeriodEarnings;
  /** Now, per hour: the open deals' prices, the electricity they draw, the difference. */
  perHour: PeriodEarnings;
  series: EarningsPoint[];
};

/** A consumer's task on the rig. */
export type TaskStatus = {
  dealId: string;
  taskId: string;
  image: string;
  state: string;
  exitCode: number | null;
  message: string;
  createdAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** Resource use when the agent measured it. */
  usage?: { cpuPercent: number; memBytes: number; gpuPercent?: number | undefined } | undefined;
};

/** How consumers reach the rig. */
export type ConnectivityStatus = {
  /** public, cone, symmetric, udp-blocked, or unknown. */
  class: string;
  /** The relay reservation, when the rig uses one. */
  relay?: { address: string; state: string } | undefined;
  /** The rig's reachable addresses. */
  addresses?: string[] | undefined;
};

/**
 * A recent warning or error of the agent, with its repeats: the lines of one
 * level, component and message in one entry (the newest's time and fields).
 * A problem that is over (the agent logged that it resolved) is not listed.
 */
export type ErrorEntry = {
  /** The newest line's time (unix ms). */
  at: number;
  /** The oldest listed line's time (unix ms). */
  firstAt: number;
  /** How many lines this entry stands for. */
  count: number;
  level: "warn" | "error";
  component: string;
  message: string;
  fields: Record<string, unknown>;
};

/** One benchmark result cached for this hardware. */
export type BenchmarkEntry = {
  id: number;
  key: string;
  value: string;
  unit: string;
  probe: string;
  measuredAt: number;
};

/** Live readings of one GPU (where the rig's tools report them). */
export type GpuReading = {
  index: number;
  temperatureC?: number | undefined;
  powerW?: number | undefined;
  utilizationPercent?: number | undefined;
};

/** The rig's hardware, summarised. */
export type HardwareStatus = {
  cpu: { model: string; cores: number; threads: number };
  memBytes: number;
  gpus: { index: number; vendor: string; name: string; memBytes: number }[];
};

/** The agent's process-level counters (only while it runs). */
export type AgentCounters = {
  /** Warnings and errors blamed on the chain's RPC. */
  rpcErrors: number;
  /** Warnings and errors blamed on Docker (its socket down, an API error). */
  dockerErrors: number;
  warnings: number;
  errors: number;
  /** Consumers' task requests the rig refused, by code (`policy`, `bad-request`, ...). */
  refusedRequests?: Record<string, number> | undefined;
  /** Duration of the last reconcile step, seconds, or null before the first. */
  reconcileSeconds: number | null;
  /** Races for a BID lost to another supplier (normal in a busy market, not an error). */
  dealRacesLost: number;
};

/** The agent's last self-test (`sonm-agent selftest`), and the plans it withholds. */
export type SelftestView = {
  /** When it finished (unix ms). */
  at: number;
  /** Its wall time, ms. */
  ms: number;
  results: {
    check: string;
    plan?: string | undefined;
    status: "ok" | "warn" | "failed" | "skipped";
    detail: string;
    fix?: string | undefined;
    gates: boolean;
    ms: number;
  }[];
};

/** Everything the status command and the dashboard show. */
export type StatusSnapshot = {
  /** Unix ms. */
  generatedAt: number;
  agent: {
    version: string;
    /** Whether the last recorded run has not stopped (or crashed without a record). */
    running: boolean;
    startedAt: number | null;
    pid: number | null;
    address: string | null;
  };
  chain: ChainStatus;
  plans: PlanStatus[];
  /** Shown deals: the open ones, then the newest closed ones. */
  deals: DealStatus[];
  /** All deals on the agent's ASKs, by state (the list above may be cut). */
  dealCounts: { open: number; closed: number };
  earnings: EarningsStatus;
  tasks: TaskStatus[];
  connectivity: ConnectivityStatus | null;
  /** The running agent's last self-test, or null before one (or with no agent). */
  selftest: SelftestView | null;
  errors: ErrorEntry[];
  hardware: HardwareStatus | null;
  benchmarks: BenchmarkEntry[];
  gpus: GpuReading[];
  counters: AgentCounters | null;
};

/** A state-changing request the dashboard forwards to the agent. */
export type DashboardAction =
  | { kind: "pause-plan"; plan: string; paused: boolean }
  /** A task is numbered within its deal (1, 2, ...): both ids name it. */
  | { kind: "stop-task"; dealId: string; taskId: string };

/**
 * What the dashboard reads and asks: passed in by src/agent, so the dashboard
 * never touches the chain or the database itself.
 */
export interface DashboardSource {
  /** The current snapshot (the dashboard caches it for its refresh interval). */
  snapshot(signal?: AbortSignal): Promise<StatusSnapshot>;
  /**
   * Performs a state change and answers what changed (sent back to the page
   * as `result`); absent when the agent offers none. Throws to refuse.
   */
  act?(action: DashboardAction): Promise<unknown>;
}
