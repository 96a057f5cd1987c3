/**
 * The one configuration loader. Everything comes from environment variables, validated by zod with
 * embedded defaults that make `npm start` work on a fresh machine (local Temporal dev server, the
 * bundled Keap sandbox). Production deployments set NODE_ENV=production, which makes the API token
 * mandatory.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { KEAP_PRODUCTION_BASE_URL } from '../keap/client';
import { KEAP_TOKEN_URL } from '../keap/oauth';
import { parsePayloadKeys } from './payload-codec';
import type { PayloadKey } from './payload-codec';

const DEV_API_TOKEN = 'dev-token-change-me';
/** Zero-config development signing secret for Stripe webhooks; production must set its own. */
export const DEV_STRIPE_WEBHOOK_SECRET = 'whsec_dev_sales_sync_local_only';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

const envSchema = z.object({
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SALES_SYNC_HOST: z.string().default('127.0.0.1'),
  SALES_SYNC_PORT: port.default(3000),
  SALES_SYNC_API_TOKEN: optionalText,
  SALES_SYNC_DATA_DIR: z.string().default('data'),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  SALES_SYNC_POSTGRES_PORT: port.default(5433),
  SALES_SYNC_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('sales-sync'),
  TEMPORAL_API_KEY: optionalText,
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_CERT_PATH: optionalText,
  TEMPORAL_TLS_KEY_PATH: optionalText,
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  KEAP_BASE_URL: optionalText.pipe(z.url().optional()),
  KEAP_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  KEAP_SANDBOX: bool.default(true),
  KEAP_SANDBOX_PORT: port.default(8099),
  KEAP_OAUTH_TOKEN_URL: optionalText.pipe(z.url().optional()),
  KEAP_CLIENT_ID: optionalText,
  KEAP_CLIENT_SECRET: optionalText,
  KEAP_OAUTH_REDIRECT_URI: optionalText.pipe(z.url().optional()),
  SALES_SYNC_PAYLOAD_KEYS: optionalText,
  SALES_SYNC_EMAIL_SEARCH_ATTRIBUTE: bool.default(true),
  STRIPE_WEBHOOK_SECRET: optionalText,
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  // Explicit, so worker memory does not follow the V8 heap limit (the SDK's default) as waiting orders grow.
  SALES_SYNC_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(500),
});

export interface TemporalConfig {
  /** Undefined means: start a local dev server (npm start) or fail (standalone worker/API). */
  address?: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: { certPath?: string; keyPath?: string; serverName?: string };
  devServer: { port: number; uiPort: number };
}

export interface Config {
  production: boolean;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  api: { host: string; port: number; token: string; tokenIsDevDefault: boolean; maxBodyBytes: number };
  dataDir: string;
  database: {
    /** DATABASE_URL; unset means npm start runs an embedded PostgreSQL (the standalone worker and API require it). */
    url?: string;
    /** The embedded server's port (npm start). */
    embeddedPort: number;
  };
  temporalPayloads: {
    /** `kid:base64key,...`, the first current; unset outside production means a generated dev key (npm start). */
    keys?: PayloadKey[];
    /** Whether the customer's email is a search attribute (the only place it is not encrypted). */
    emailSearchAttribute: boolean;
  };
  /** Unset in production without STRIPE_WEBHOOK_SECRET: the webhook route is then not served. */
  stripe: { webhookSecret?: string; webhookSecretIsDevDefault: boolean; toleranceSeconds: number };
  temporal: TemporalConfig;
  /** Workflows the worker keeps in its sticky cache; beyond it the least recent is evicted (and replayed when it wakes). */
  worker: { maxCachedWorkflows: number };
  keap: {
    /** Explicit KEAP_BASE_URL; when unset, npm start points accounts without one at the sandbox. */
    baseUrl?: string;
    defaultBaseUrl: string;
    timeoutMs: number;
    sandbox: { enabled: boolean; port: number };
    /** The Keap OAuth app; unset (no KEAP_CLIENT_ID / KEAP_CLIENT_SECRET) means API-key connections only. */
    oauth?: { tokenUrl: string; clientId: string; clientSecret: string; redirectUri?: string };
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && !e.SALES_SYNC_API_TOKEN) throw new ConfigError('SALES_SYNC_API_TOKEN is required in production');
  if (production && !e.SALES_SYNC_PAYLOAD_KEYS) {
    throw new ConfigError('SALES_SYNC_PAYLOAD_KEYS is required in production (Temporal payloads carry customer data)');
  }
  if (e.SALES_SYNC_API_TOKEN && e.SALES_SYNC_API_TOKEN.length < 16) {
    throw new ConfigError('SALES_SYNC_API_TOKEN must be at least 16 characters');
  }
  const useTls = e.TEMPORAL_TLS ?? Boolean(e.TEMPORAL_API_KEY || e.TEMPORAL_TLS_CERT_PATH);
  return {
    production,
    logLevel: e.LOG_LEVEL,
    api: {
      host: e.SALES_SYNC_HOST,
      port: e.SALES_SYNC_PORT,
      token: e.SALES_SYNC_API_TOKEN ?? DEV_API_TOKEN,
      tokenIsDevDefault: !e.SALES_SYNC_API_TOKEN,
      maxBodyBytes: e.SALES_SYNC_MAX_BODY_BYTES,
    },
    dataDir: resolve(e.SALES_SYNC_DATA_DIR),
    database: { url: e.DATABASE_URL, embeddedPort: e.SALES_SYNC_POSTGRES_PORT },
    temporalPayloads: {
      keys: e.SALES_SYNC_PAYLOAD_KEYS ? parsePayloadKeys(e.SALES_SYNC_PAYLOAD_KEYS) : undefined,
      emailSearchAttribute: e.SALES_SYNC_EMAIL_SEARCH_ATTRIBUTE,
    },
    stripe: {
      webhookSecret: e.STRIPE_WEBHOOK_SECRET ?? (production ? undefined : DEV_STRIPE_WEBHOOK_SECRET),
      webhookSecretIsDevDefault: !e.STRIPE_WEBHOOK_SECRET && !production,
      toleranceSeconds: e.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
    },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: useTls
        ? {
            certPath: e.TEMPORAL_TLS_CERT_PATH,
            keyPath: e.TEMPORAL_TLS_KEY_PATH,
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      devServer: { port: e.TEMPORAL_DEV_PORT, uiPort: e.TEMPORAL_UI_PORT },
    },
    worker: { maxCachedWorkflows: e.SALES_SYNC_MAX_CACHED_WORKFLOWS },
    keap: {
      baseUrl: e.KEAP_BASE_URL,
      defaultBaseUrl: e.KEAP_BASE_URL ?? KEAP_PRODUCTION_BASE_URL,
      timeoutMs: e.KEAP_TIMEOUT_MS,
      sandbox: { enabled: e.KEAP_SANDBOX && !e.KEAP_BASE_URL, port: e.KEAP_SANDBOX_PORT },
      oauth:
        e.KEAP_CLIENT_ID && e.KEAP_CLIENT_SECRET
          ? {
              tokenUrl: e.KEAP_OAUTH_TOKEN_URL ?? KEAP_TOKEN_URL,
              clientId: e.KEAP_CLIENT_ID,
              clientSecret: e.KEAP_CLIENT_SECRET,
              redirectUri: e.KEAP_OAUTH_REDIRECT_URI,
            }
          : undefined,
    },
  };
}

/** The standalone worker and API share one PostgreSQL with every other process: DATABASE_URL is required. */
export function requireDatabaseUrl(config: Config, processName: string): string {
  if (config.database.url) return config.database.url;
  throw new ConfigError(
    `DATABASE_URL is required for the ${processName} (postgres://user:password@host:5432/database): ` +
      'every worker and API process shares its accounts and checkouts (npm start runs its own PostgreSQL)',
  );
}
