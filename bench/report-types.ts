/** The shape of bench/results/latest.json. */
export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LifecycleCost {
  payments: number;
  keapCalls: number;
  keapCallsPerPayment: number;
  keapByOperation: Record<string, number>;
  temporalActions: number;
  temporalActionsPerPayment: number;
  actionsByType: Record<string, number>;
  historyEvents: number;
  runs: number;
}

export interface BenchReport {
  generatedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  config: Record<string, unknown> & { quick: boolean; keapLatencyMs: number; scaleMid: number; scaleTotal: number };
  wallSeconds: number;
  ceiling: { workflows: number; seconds: number; workflowsPerSecond: number; startsPerSecond: number };
  orders: {
    orders: number;
    paidInKeap: number;
    connections: number;
    ordersPerSecond: number;
    ratioToCeiling: number;
    endToEndMs: Latency;
    apiAck: { requestsPerSecond: number; p50: number; p99: number; non2xx: number; errors: number };
  };
  webhooks: {
    events: number;
    targetPerSecond: number;
    offeredPerSecond: number;
    maxSendLagMs: number;
    statuses: Record<string, number>;
    ackMs: Latency;
    recordedInKeap: number;
    recordedPerSecond: number;
    toKeapMs: Latency;
  };
  cost: { oneTime: LifecycleCost; plan3: LifecycleCost; subscription12: LifecycleCost };
  actionRules: string[];
  quota: {
    limitPerSecond: number;
    offeredOrdersPerSecond: number;
    windowSeconds: number;
    successfulCallsPerSecond: number;
    quotaUsed: number;
    callsInWindow: number;
    throttled429InWindow: number;
    fraction429InWindow: number;
    callsTotal: number;
    throttled429Total: number;
    fraction429Total: number;
    orders: number;
    paidInKeap: number;
  };
  sharedQuota: {
    workers: number;
    limitPerSecond: number;
    backlogs: SharedBacklog[];
    oneTime: { keapCalls: number; keapByOperation: Record<string, number>; temporalActions: number };
    plan3: {
      keapCalls: number;
      temporalActions: number;
      keapCallsPerLaterInstallment: number;
      temporalActionsPerLaterInstallment: number;
    };
  };
  scale: {
    openSubscriptions: number;
    phases: { upTo: number; startSeconds: number; settleSeconds: number; startedPerSecond: number }[];
    samples: { openSubscriptions: number; workerRssMiB: number; dbMiB: number }[];
    workerRssGrowthMidToTotal: number;
    apiRssMiB: number;
  };
}

/** One backlog of one-time orders posted at once to several workers on one throttled Keap key. */
export interface SharedBacklog {
  orders: number;
  postedSeconds: number;
  paidInKeap: number;
  drainSeconds: number;
  minimumSeconds: number;
  windowSeconds: number;
  calls: number;
  successfulCalls: number;
  throttled429: number;
  otherErrors: number;
  successfulCallsPerSecond: number;
  quotaUsed: number;
  goodput: number;
  fraction429: number;
  callsPerSecondEvery5s: number[];
  /** Keap calls by operation over the drain (absent in runs before it was recorded). */
  keapByOperation?: Record<string, number>;
  /** When every order was paid: per order, retries included. */
  perOrder?: { keapCalls: number; temporalActions: number; activityRetries: number };
  /** When some were not: Keap calls made per order posted. */
  keapCallsPerPostedOrder?: number;
}
