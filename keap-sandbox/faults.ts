// Fault injection: the next N calls of an operation misbehave in a chosen way, so tests can prove the
// service survives Keap's failure modes, above all the ambiguous one (the write committed, the reply lost).
import { OPERATION_IDS } from './routes';

export const FAULT_MODES = ['commit-then-lose', 'error-5xx', 'throttle-429', 'latency', 'connection-reset'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** What the request pipeline applies to one call, whether it came from a next-N rule or from chaos. */
export interface FaultAction {
  mode: FaultMode;
  /** HTTP status for `error-5xx` (429 for `throttle-429`; unused otherwise). */
  status: number;
  /** Delay before the call is handled (or reset, or failed). */
  delayMs: number;
  /** Retry-After for `throttle-429`. */
  retryAfterSeconds: number;
}

export interface FaultSpec {
  /** An operationId the sandbox serves, or `*` for any operation. */
  operation: string;
  /**
   * - `commit-then-lose`: perform the write, then destroy the socket without a response;
   * - `error-5xx`: answer `status` (default 500; any 400-599 to mimic a rejection) with a Keap Error body;
   *   nothing is committed;
   * - `throttle-429`: answer 429 with the rate headers and Retry-After; nothing is committed;
   * - `latency`: delay the call by `delayMs`, then serve it normally;
   * - `connection-reset`: reset the TCP connection (RST) without a response; nothing is committed.
   */
  mode: FaultMode;
  /** How many upcoming calls are affected (default 1). */
  count?: number;
  /** HTTP status for `error-5xx` (400-599, default 500). */
  status?: number;
  /** Extra delay before the call is handled, for any mode (required > 0 for `latency`). */
  delayMs?: number;
  /** Retry-After seconds for `throttle-429` (default 1). */
  retryAfterSeconds?: number;
}

export interface FaultRule extends Required<Omit<FaultSpec, 'status' | 'retryAfterSeconds'>>, FaultAction {
  id: number;
  /** Calls still to be affected. */
  remaining: number;
}

export class FaultRegistry {
  private rules: FaultRule[] = [];
  private seq = 1;

  /** Validates and queues a rule; rules for the same operation fire in injection order. */
  inject(spec: FaultSpec): FaultRule {
    const problems = validateFault(spec);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const count = spec.count ?? 1;
    const rule: FaultRule = {
      id: this.seq++,
      operation: spec.operation,
      mode: spec.mode,
      count,
      remaining: count,
      status: spec.status ?? (spec.mode === 'throttle-429' ? 429 : 500),
      delayMs: spec.delayMs ?? 0,
      retryAfterSeconds: spec.retryAfterSeconds ?? 1,
    };
    this.rules.push(rule);
    return { ...rule };
  }

  /** Consumes one use of the first rule matching the operation, if any. */
  take(operationId: string): FaultRule | undefined {
    const i = this.rules.findIndex((r) => r.operation === operationId || r.operation === '*');
    if (i < 0) return undefined;
    const rule = this.rules[i] as FaultRule;
    rule.remaining--;
    if (rule.remaining <= 0) this.rules.splice(i, 1);
    return { ...rule };
  }

  /** Clears every rule, or those of one operation. */
  clear(operation?: string): void {
    this.rules = operation === undefined ? [] : this.rules.filter((r) => r.operation !== operation);
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }
}

export function validateFault(spec: Partial<FaultSpec>): string[] {
  const problems: string[] = [];
  if (typeof spec.operation !== 'string' || (spec.operation !== '*' && !OPERATION_IDS.has(spec.operation))) {
    problems.push(`operation must be '*' or one of: ${[...OPERATION_IDS].join(', ')}`);
  }
  if (!FAULT_MODES.includes(spec.mode as FaultMode)) problems.push(`mode must be one of: ${FAULT_MODES.join(', ')}`);
  if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1)) {
    problems.push('count must be a positive integer');
  }
  if (spec.status !== undefined && (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599)) {
    problems.push('status must be an HTTP error status (400-599)');
  }
  if (spec.delayMs !== undefined && (typeof spec.delayMs !== 'number' || !(spec.delayMs >= 0))) {
    problems.push('delayMs must be a non-negative number');
  }
  if (spec.mode === 'latency' && !(typeof spec.delayMs === 'number' && spec.delayMs > 0)) {
    problems.push('latency faults need delayMs > 0');
  }
  if (
    spec.retryAfterSeconds !== undefined &&
    (!Number.isInteger(spec.retryAfterSeconds) || spec.retryAfterSeconds < 0)
  ) {
    problems.push('retryAfterSeconds must be a non-negative integer');
  }
  return problems;
}
