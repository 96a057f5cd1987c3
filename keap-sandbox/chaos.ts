// Seeded random faults ("chaos"): every call to a covered operation draws one number from a seeded PRNG and
// may get a fault, with a probability per mode. The same seed and the same request sequence give the same
// faults, so a failing chaos run can be replayed exactly. Explicit next-N rules (faults.ts) still win.
import { FAULT_MODES, type FaultAction, type FaultMode } from './faults';
import { OPERATION_IDS } from './routes';

export interface ChaosConfig {
  /** PRNG seed, an integer from 0 to 2^32-1. */
  seed: number;
  /** Probability per mode (each 0..1, sum at most 1); modes left out never fire. */
  rates: Partial<Record<FaultMode, number>>;
  /** Delay range for `latency` faults, in ms (uniform, inclusive). Default {min: 100, max: 1000}. */
  latencyMs?: { min: number; max: number };
  /** The operationIds chaos applies to. Default: every Keap operation the sandbox serves. */
  operations?: string[];
  /** Statuses `error-5xx` picks from (uniformly). Default [500, 502, 503, 504]. */
  statuses?: number[];
  /** Retry-After for `throttle-429`. Default 1. */
  retryAfterSeconds?: number;
}

export interface ResolvedChaosConfig {
  seed: number;
  rates: Record<FaultMode, number>;
  latencyMs: { min: number; max: number };
  operations: string[];
  statuses: number[];
  retryAfterSeconds: number;
}

export interface ChaosCounts {
  /** Calls that drew a number: covered operations, in the order the sandbox handled them. */
  draws: number;
  /** Faults chaos applied. */
  injected: number;
  byMode: Record<FaultMode, number>;
  byOperation: Record<string, Partial<Record<FaultMode, number>>>;
  /** Reads that drew `commit-then-lose` and were served normally (it only applies to writes). */
  sparedReads: number;
  /** Drawn faults not applied because the rate limiter or an explicit rule answered the call first. */
  preempted: number;
}

export interface ChaosStatus {
  enabled: boolean;
  config: ResolvedChaosConfig | null;
  counts: ChaosCounts;
}

export const DEFAULT_CHAOS_LATENCY_MS = { min: 100, max: 1000 } as const;
export const DEFAULT_CHAOS_STATUSES: readonly number[] = [500, 502, 503, 504];
const MAX_SEED = 0xffffffff;
const CONFIG_FIELDS = new Set(['seed', 'rates', 'latencyMs', 'operations', 'statuses', 'retryAfterSeconds']);
// Rates like 0.1 + 0.2 + 0.7 add up to a hair over 1 in floating point.
const SUM_TOLERANCE = 1e-9;

/** mulberry32: a tiny 32-bit PRNG, good enough for fault draws and fully determined by its seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isProbability = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
const isDelay = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Validates untrusted input (the admin API's JSON or a programmatic config); returns the problems found. */
export function validateChaos(input: unknown): string[] {
  if (!isRecord(input)) return ['body must be a JSON object'];
  const problems: string[] = [];
  for (const key of Object.keys(input)) {
    if (!CONFIG_FIELDS.has(key)) problems.push(`unknown field '${key}' (allowed: ${[...CONFIG_FIELDS].join(', ')})`);
  }
  const { seed, rates, latencyMs, operations, statuses, retryAfterSeconds } = input;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    problems.push(`seed must be an integer from 0 to ${MAX_SEED}`);
  }
  if (!isRecord(rates)) {
    problems.push(`rates must be an object of probabilities by mode (${FAULT_MODES.join(', ')})`);
  } else {
    let sum = 0;
    for (const [mode, p] of Object.entries(rates)) {
      if (!FAULT_MODES.includes(mode as FaultMode)) {
        problems.push(`rates.${mode} is not a fault mode (one of: ${FAULT_MODES.join(', ')})`);
      } else if (!isProbability(p)) {
        problems.push(`rates.${mode} must be a probability between 0 and 1`);
      } else {
        sum += p;
      }
    }
    if (sum > 1 + SUM_TOLERANCE) problems.push(`rates must sum to at most 1 (they sum to ${Number(sum.toFixed(6))})`);
  }
  if (latencyMs !== undefined) {
    if (!isRecord(latencyMs) || !isDelay(latencyMs.min) || !isDelay(latencyMs.max)) {
      problems.push('latencyMs must be {min, max} with non-negative numbers of milliseconds');
    } else if (latencyMs.min > latencyMs.max) {
      problems.push('latencyMs.min must not exceed latencyMs.max');
    }
  }
  if (operations !== undefined) {
    const list: unknown[] | undefined = Array.isArray(operations) ? operations : undefined;
    const unknown = list?.filter((op) => typeof op !== 'string' || !OPERATION_IDS.has(op)) ?? [];
    if (list === undefined || list.length === 0 || unknown.length > 0) {
      const named = unknown.length > 0 ? ` (unknown: ${unknown.map((u) => JSON.stringify(u)).join(', ')})` : '';
      problems.push(
        `operations must be a non-empty array of operationIds${named}; known: ${[...OPERATION_IDS].join(', ')}`,
      );
    }
  }
  if (statuses !== undefined) {
    const ok =
      Array.isArray(statuses) &&
      statuses.length > 0 &&
      statuses.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 500 && s <= 599);
    if (!ok) problems.push('statuses must be a non-empty array of 5xx statuses (500-599)');
  }
  if (
    retryAfterSeconds !== undefined &&
    (typeof retryAfterSeconds !== 'number' || !Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0)
  ) {
    problems.push('retryAfterSeconds must be a non-negative integer');
  }
  return problems;
}

/** Fills in the defaults of a valid config; throws with every problem of an invalid one. */
export function resolveChaos(config: ChaosConfig): ResolvedChaosConfig {
  const problems = validateChaos(config);
  if (problems.length > 0) throw new Error(`Invalid chaos config: ${problems.join('; ')}`);
  const rates = Object.fromEntries(FAULT_MODES.map((m) => [m, config.rates[m] ?? 0])) as Record<FaultMode, number>;
  return {
    seed: config.seed,
    rates,
    latencyMs: { ...(config.latencyMs ?? DEFAULT_CHAOS_LATENCY_MS) },
    operations: [...new Set(config.operations ?? OPERATION_IDS)],
    statuses: [...(config.statuses ?? DEFAULT_CHAOS_STATUSES)],
    retryAfterSeconds: config.retryAfterSeconds ?? 1,
  };
}

function emptyCounts(): ChaosCounts {
  return {
    draws: 0,
    injected: 0,
    byMode: Object.fromEntries(FAULT_MODES.map((m) => [m, 0])) as Record<FaultMode, number>,
    byOperation: {},
    sparedReads: 0,
    preempted: 0,
  };
}

/**
 * The chaos profile of one sandbox. `draw` is called once per covered call, in the order calls are handled
 * (after the body is read, authenticated and routed, before the rate limiter), and decides its fault.
 */
export class ChaosProfile {
  private config: ResolvedChaosConfig | null = null;
  private operations: ReadonlySet<string> = new Set();
  private random: () => number = () => 1;
  private counts = emptyCounts();

  /** (Re)starts chaos from the seed: the PRNG and the counts start over. */
  configure(config: ChaosConfig): ChaosStatus {
    this.config = resolveChaos(config);
    this.operations = new Set(this.config.operations);
    this.random = mulberry32(this.config.seed);
    this.counts = emptyCounts();
    return this.status();
  }

  clear(): void {
    this.config = null;
    this.operations = new Set();
    this.counts = emptyCounts();
  }

  status(): ChaosStatus {
    return {
      enabled: this.config !== null,
      config: structuredClone(this.config),
      counts: structuredClone(this.counts),
    };
  }

  /**
   * One draw for a call. Modes are laid out in FAULT_MODES order on [0, 1); a fault's own parameters (the
   * 5xx status, the delay) are drawn right away, so how many numbers a call consumes never depends on what
   * the rest of the pipeline does with the fault. Returns undefined for no fault.
   */
  draw(operationId: string, isWrite: boolean): FaultAction | undefined {
    const config = this.config;
    if (config === null || !this.operations.has(operationId)) return undefined;
    this.counts.draws++;
    const u = this.random();
    let mode: FaultMode | undefined;
    let upTo = 0;
    for (const m of FAULT_MODES) {
      upTo += config.rates[m];
      if (u < upTo) {
        mode = m;
        break;
      }
    }
    switch (mode) {
      case undefined:
        return undefined;
      case 'error-5xx': {
        const { statuses } = config;
        const status = statuses[Math.floor(this.random() * statuses.length)] ?? 500;
        return { mode, status, delayMs: 0, retryAfterSeconds: 0 };
      }
      case 'throttle-429':
        return { mode, status: 429, delayMs: 0, retryAfterSeconds: config.retryAfterSeconds };
      case 'latency': {
        const { min, max } = config.latencyMs;
        return { mode, status: 0, delayMs: min + Math.floor(this.random() * (max - min + 1)), retryAfterSeconds: 0 };
      }
      case 'commit-then-lose':
        // Losing a read's response proves nothing a reset does not; only writes are ambiguous.
        if (!isWrite) {
          this.counts.sparedReads++;
          return undefined;
        }
        return { mode, status: 0, delayMs: 0, retryAfterSeconds: 0 };
      case 'connection-reset':
        return { mode, status: 0, delayMs: 0, retryAfterSeconds: 0 };
    }
  }

  /** The drawn fault was applied to the call. */
  applied(operationId: string, mode: FaultMode): void {
    this.counts.injected++;
    this.counts.byMode[mode]++;
    const byOp = (this.counts.byOperation[operationId] ??= {});
    byOp[mode] = (byOp[mode] ?? 0) + 1;
  }

  /** The drawn fault lost to the rate limiter or an explicit rule. */
  preempted(): void {
    this.counts.preempted++;
  }
}

/**
 * The CLI's chaos flags: `--chaos-seed N`, and `--chaos-rate P` (P spread evenly over the five modes) and/or
 * `--chaos-rates mode=p,...` (per mode, overriding the even share). Returns undefined when no flag is given.
 */
export function chaosFromFlags(flags: { seed?: string; rate?: string; rates?: string }): ChaosConfig | undefined {
  if (flags.seed === undefined && flags.rate === undefined && flags.rates === undefined) return undefined;
  const seed = flags.seed === undefined ? Math.floor(Math.random() * MAX_SEED) : Number(flags.seed);
  const rates: Partial<Record<FaultMode, number>> = {};
  if (flags.rate !== undefined) {
    const total = Number(flags.rate);
    if (!isProbability(total)) throw new Error(`Invalid --chaos-rate ${flags.rate} (a probability, 0 to 1)`);
    for (const m of FAULT_MODES) rates[m] = total / FAULT_MODES.length;
  }
  for (const part of (flags.rates ?? '').split(',').filter((s) => s.trim() !== '')) {
    const [mode = '', p = ''] = part.split('=').map((s) => s.trim());
    if (!FAULT_MODES.includes(mode as FaultMode) || p === '') {
      throw new Error(`Invalid --chaos-rates part '${part}' (mode=probability; modes: ${FAULT_MODES.join(', ')})`);
    }
    rates[mode as FaultMode] = Number(p);
  }
  const config: ChaosConfig = { seed, rates };
  const problems = validateChaos(config);
  if (problems.length > 0) throw new Error(`Invalid chaos flags: ${problems.join('; ')}`);
  return config;
}
