// Keap sandbox: an in-memory, stateful emulator of the subset of Keap REST v2 that Sales Sync uses, served
// under `/crm/rest/v2/...` so its base URL (`http://127.0.0.1:PORT/crm`) is a drop-in for
// `https://api.keap.com/crm`. It serves tests, the zero-config demo and benchmarks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChaosConfig, ChaosStatus } from './chaos';
import type { FaultRule, FaultSpec } from './faults';
import { type IssueCodeOptions, OAUTH_TOKEN_PATH, type TokenFaultSpec, injectTokenFault } from './oauth';
import { type KeapSandboxOptions, resolveOptions } from './options';
import { type ExchangeListener, SandboxCore } from './server';
import { StatePersister, loadStateFile, serializeState } from './store/persist';
import type { SandboxStats } from './stats';

export type { KeapSandboxOptions, Authenticator } from './options';
export { DEFAULT_API_KEY } from './options';
export type { SandboxExchange, ExchangeListener } from './server';
export type { FaultMode, FaultRule, FaultSpec } from './faults';
export { FAULT_MODES } from './faults';
export type { ChaosConfig, ChaosCounts, ChaosStatus, ResolvedChaosConfig } from './chaos';
export { DEFAULT_CHAOS_LATENCY_MS, DEFAULT_CHAOS_STATUSES, validateChaos } from './chaos';
export type { FaultSource, SandboxStats } from './stats';
export type { RateLimitOptions } from './rate-limit';
export { RATE_LIMIT_PRESETS, UNENFORCED_LIMIT, parseRateLimitSpec } from './rate-limit';
export { SANDBOX_ROUTES, type SandboxRoute } from './routes';
export { deriveFieldName } from './ops/order-fields';
export { DEFAULT_MANUAL_PAYMENT_TYPES } from './ops/payments';
export { STATE_FORMAT_VERSION, READABLE_STATE_FORMAT_VERSIONS, StateFileError } from './store/persist';
export type {
  IssueCodeOptions,
  OAuthClient,
  OAuthErrorBody,
  OAuthStats,
  TokenFaultSpec,
  TokenResponseBody,
} from './oauth';
export {
  AUTHORIZATION_CODE_TTL_SECONDS,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  DEFAULT_OAUTH_CLIENT,
  OAUTH_TOKEN_PATH,
} from './oauth';

export interface KeapSandbox {
  /** Base URL ending in `/crm`, e.g. `http://127.0.0.1:41234/crm`. */
  readonly url: string;
  readonly port: number;
  /** The first configured API key (send it as `X-Keap-API-Key`). */
  readonly apiKey: string;
  /** Every accepted API key. */
  readonly apiKeys: readonly string[];
  /**
   * Stops accepting connections, drops open ones and resolves when the server is closed (and, with
   * stateFile, the state saved a last time; a failed save rejects).
   */
  close(): Promise<void>;
  readonly faults: {
    inject(spec: FaultSpec): FaultRule;
    /** Clears every rule, or those of one operation. */
    clear(operation?: string): void;
    list(): FaultRule[];
  };
  /**
   * Seeded random faults on every covered call (see README "Chaos"). Explicit `faults` rules win over it.
   * `configure` validates (throws on a bad config), restarts the PRNG from the seed and zeroes its counts.
   */
  readonly chaos: {
    configure(config: ChaosConfig): ChaosStatus;
    clear(): void;
    status(): ChaosStatus;
  };
  stats(): SandboxStats;
  /**
   * Clears data, faults, chaos, stats, rate-limit windows and latency overrides (with stateFile, the saved
   * data too).
   */
  reset(): void;
  /** Sets the latency added to every call, or to one operation's calls. */
  setLatency(ms: number, operationId?: string): void;
  /**
   * The app's Manual Payment Types (Keap: Ecommerce Settings > Orders), which a payment's
   * `payment_method_type` must match. Merchants add and remove them while Keap runs, so tests can too.
   * App configuration, not data: `reset()` keeps them.
   */
  readonly manualPaymentTypes: {
    list(): string[];
    /** Replaces the configured types; takes effect on the next payment. */
    set(types: readonly string[]): void;
  };
  /** Subscribes to every Keap exchange; returns the unsubscribe function. */
  onExchange(listener: ExchangeListener): () => void;
  /** Keap's OAuth2 token endpoint (`POST {tokenUrl}`) and test controls for its grants. */
  readonly oauth: {
    /** `http://host:port/token`: the stand-in for `https://api.infusionsoft.com/token`. */
    readonly tokenUrl: string;
    /** An authorization code for the client (default: the first configured), as after the merchant's consent. */
    issueCode(options?: IssueCodeOptions): string;
    /** The merchant revokes access (every connection, or one client's): refresh tokens get invalid_grant. */
    revokeAll(clientId?: string): number;
    /** Every current access token expires now; refresh tokens stay valid. Returns how many were live. */
    expireAccessTokens(): number;
    /**
     * The next token requests misbehave: `commit-then-lose`, `error-5xx`, `connection-reset` or `latency`
     * (as `faults.inject`).
     */
    injectFault(spec: TokenFaultSpec): FaultRule;
  };
}

export async function startKeapSandbox(options: KeapSandboxOptions = {}): Promise<KeapSandbox> {
  const resolved = resolveOptions(options);
  const core = new SandboxCore(resolved);
  let persister: StatePersister | undefined;
  if (resolved.stateFile !== undefined) {
    const file = resolved.stateFile;
    await loadStateFile(file, core.state, core.money.currency, core.oauth);
    persister = new StatePersister(
      file,
      () => serializeState(core.state, core.money.currency, core.oauth),
      resolved.stateSaveDelayMs,
    );
    await persister.open();
    core.onStateChange = () => persister?.changed();
  }
  const server: Server = createServer({ keepAliveTimeout: 5000 }, (req, res) => core.handle(req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(resolved.port, resolved.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await persister?.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host}:${port}/crm`,
    port,
    apiKey: [...resolved.apiKeys][0] ?? '',
    apiKeys: [...resolved.apiKeys],
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }).finally(() => persister?.close());
      return closing;
    },
    faults: {
      inject: (spec) => core.faults.inject(spec),
      clear: (operation) => core.faults.clear(operation),
      list: () => core.faults.list(),
    },
    chaos: {
      configure: (config) => core.chaos.configure(config),
      clear: () => core.chaos.clear(),
      status: () => core.chaos.status(),
    },
    stats: () => core.stats.snapshot(),
    reset: () => core.reset(),
    setLatency(ms, operationId) {
      if (!(ms >= 0)) throw new Error(`Invalid latency ${ms}`);
      if (operationId === undefined) core.latencyMs = ms;
      else if (ms === 0) core.operationLatencyMs.delete(operationId);
      else core.operationLatencyMs.set(operationId, ms);
    },
    manualPaymentTypes: {
      list: () => [...resolved.manualPaymentTypes],
      set(types) {
        if (types.some((t) => t.trim() === '')) throw new Error('Manual Payment Types must not be blank');
        // In place: operations hold this same set.
        resolved.manualPaymentTypes.clear();
        for (const type of types) resolved.manualPaymentTypes.add(type);
      },
    },
    onExchange(listener) {
      core.listeners.add(listener);
      return () => core.listeners.delete(listener);
    },
    oauth: {
      tokenUrl: `http://${host}:${port}${OAUTH_TOKEN_PATH}`,
      issueCode: (options) => core.oauth.issueCode(options),
      revokeAll: (clientId) => core.oauth.revokeAll(clientId),
      expireAccessTokens: () => core.oauth.expireAccessTokens(),
      injectFault: (spec) => injectTokenFault(core.oauth, spec),
    },
  };
}
