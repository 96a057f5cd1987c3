// Counters for /__sandbox/stats and KeapSandbox.stats(): benchmarks count Keap calls per operation, and
// tests assert how many 429s and faults were served.
import { FAULT_MODES, type FaultMode } from './faults';
import type { OAuthCounter, OAuthStats } from './oauth';
import type { RateLimitReason } from './rate-limit';

export interface SandboxStats {
  /** Authenticated calls that reached an operation, by operationId (including rejected and faulted ones). */
  calls: Record<string, number>;
  /** Responses sent, by HTTP status (lost responses are not counted here). */
  responses: Record<string, number>;
  /** 429s served: by the rate limiter (per limit) and by injected faults. */
  throttled: { total: number; quota: number; throttle: number; spike: number; injected: number };
  /** Faults that fired (explicit rules, token faults and chaos alike). */
  faultsTotal: number;
  /** Faults that fired, by operationId (`token` for the token endpoint). */
  faultsInjected: Record<string, number>;
  /** Faults that fired, by mode. */
  faultsByMode: Record<FaultMode, number>;
  /** Faults that fired, by operationId, then mode (only modes that fired). */
  faultsByOperation: Record<string, Partial<Record<FaultMode, number>>>;
  /** Faults that fired, by where they came from: next-N rules (`faults.inject`, token faults) or chaos. */
  faultsBySource: Record<FaultSource, number>;
  /** Responses deliberately lost (commit-then-lose). */
  lostResponses: number;
  unauthorized: number;
  unknownRoutes: number;
  requests: number;
  /** Token endpoint and OAuth access-token counters (token requests are not in `calls` or `responses`). */
  oauth: OAuthStats;
}

export type FaultSource = 'rule' | 'chaos';

export function emptyStats(): SandboxStats {
  return {
    calls: {},
    responses: {},
    throttled: { total: 0, quota: 0, throttle: 0, spike: 0, injected: 0 },
    faultsTotal: 0,
    faultsInjected: {},
    faultsByMode: Object.fromEntries(FAULT_MODES.map((m) => [m, 0])) as Record<FaultMode, number>,
    faultsByOperation: {},
    faultsBySource: { rule: 0, chaos: 0 },
    lostResponses: 0,
    unauthorized: 0,
    unknownRoutes: 0,
    requests: 0,
    oauth: { codeExchanges: 0, refreshes: 0, invalidGrants: 0, rejectedAccessTokens: 0 },
  };
}

export class StatsRecorder {
  private s = emptyStats();

  request(): void {
    this.s.requests++;
  }

  call(operationId: string): void {
    this.s.calls[operationId] = (this.s.calls[operationId] ?? 0) + 1;
  }

  response(status: number): void {
    this.s.responses[status] = (this.s.responses[status] ?? 0) + 1;
  }

  throttled(reason: RateLimitReason | 'injected'): void {
    this.s.throttled.total++;
    this.s.throttled[reason]++;
  }

  fault(operationId: string, mode: FaultMode, source: FaultSource): void {
    this.s.faultsTotal++;
    this.s.faultsInjected[operationId] = (this.s.faultsInjected[operationId] ?? 0) + 1;
    this.s.faultsByMode[mode]++;
    const byOp = (this.s.faultsByOperation[operationId] ??= {});
    byOp[mode] = (byOp[mode] ?? 0) + 1;
    this.s.faultsBySource[source]++;
  }

  lost(): void {
    this.s.lostResponses++;
  }

  unauthorized(): void {
    this.s.unauthorized++;
  }

  unknownRoute(): void {
    this.s.unknownRoutes++;
  }

  oauth(counter: OAuthCounter): void {
    this.s.oauth[counter]++;
  }

  snapshot(): SandboxStats {
    return structuredClone(this.s);
  }

  reset(): void {
    this.s = emptyStats();
  }
}
