import { z } from 'zod';
import { resolveMysqlTls, type MysqlTls } from './db/tls';
import { DEFAULT_NETWORK_RULES, resolveNetworkRules, type NetworkRuleOverrides, type NetworkRuleTable } from './billing/network-rules';
import { activitySlotsForChargeRate } from './charge-concurrency';
import { TASK_QUEUE } from './shared';
import { parseCodecEnv } from './codec/config';
import type { CodecConfig } from './codec/data-converter';
import type { KeyRing } from './codec/keys';

/** Stripe's default limit per endpoint (per named operation), live or test mode. */
export const STRIPE_ENDPOINT_DEFAULT_PER_SECOND = 25;

/** Secret and publishable keys look like `sk_test_…`, `rk_live_…`, `pk_test_…`. */
const STRIPE_KEY_PATTERN = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;

const optionalInt = (min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).optional();

const temporalEnvSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233')
    .default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  TEMPORAL_UI_URL: z.url({ protocol: /^https?$/, error: 'must be the Web UI URL, e.g. http://localhost:8233' }).optional(),
});

/** The Stripe webhook endpoint (src/webhooks/): it runs only when its signing secret is set. */
const WEBHOOK_SECRET_PATTERN = /^whsec_\S+$/;
const webhookEnvFields = {
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(WEBHOOK_SECRET_PATTERN, "must be the endpoint's signing secret (whsec_…)")
    .optional(),
  WEBHOOK_PORT: optionalInt(1, 65_535),
  WEBHOOK_HOST: z.string().min(1).optional(),
};

const workerEnvSchema = temporalEnvSchema.extend({
  MYSQL_URL: z
    .string({ error: 'is required, e.g. mysql://user:password@127.0.0.1:3306/invoices' })
    .refine((v) => /^mysql:\/\/[^/]+\/[^/?]+/.test(v), 'must be mysql://user:password@host:port/database'),
  STRIPE_SECRET_KEY: z
    .string({ error: 'is required: a Stripe secret key (sk_test_… or rk_test_…)' })
    .superRefine((key, ctx) => {
      if (key.startsWith('pk_')) {
        ctx.addIssue({ code: 'custom', message: 'is a publishable key (pk_…); use a secret key (sk_… or rk_…)' });
      } else if (!STRIPE_KEY_PATTERN.test(key)) {
        ctx.addIssue({ code: 'custom', message: 'is not a Stripe secret key (expected sk_test_…, sk_live_…, rk_test_… or rk_live_…)' });
      }
    }),
  STRIPE_ALLOW_LIVE_KEY: z.enum(['true', 'false', '1', '0', '']).optional(),
  STRIPE_API_BASE: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:12111' })
    .optional(),
  STRIPE_TIMEOUT_MS: optionalInt(1_000, 120_000),
  STRIPE_RATE_LIMIT_PER_SECOND: optionalInt(1, 10_000),
  DB_POOL_SIZE: optionalInt(1, 500),
  NOTIFY_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL that receives authentication notifications' }).optional(),
  NOTIFY_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters (it signs the notifications)').optional(),
  WORKER_ACTIVITY_SLOTS: optionalInt(1, 2000),
  CARD_NETWORK_RULES: z.string().optional(),
  ...webhookEnvFields,
  METRICS_PORT: optionalInt(1, 65_535),
  METRICS_HOST: z.string().min(1).optional(),
  TEMPORAL_METRICS_PORT: optionalInt(1, 65_535),
});

export interface StripeConfig {
  /** Never logged, never passed to workflows. */
  secretKey: string;
  /** Unset: api.stripe.com. Set: e.g. the simulator at http://127.0.0.1:12111. */
  apiBase?: URL;
  timeoutMs: number;
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Where run links point; default: the dev server's UI on the frontend port + 1000. */
  uiUrl: string;
  /** Payload encryption (src/codec): every client and worker passes temporalDataConverter(codec). */
  codec: CodecConfig;
}

export interface AppConfig {
  temporal: TemporalConfig;
  mysqlUrl: string;
  /** MYSQL_SSL_* or MYSQL_URL's ssl-* parameters (src/db/tls.ts); undefined: no TLS. */
  mysqlTls?: MysqlTls;
  dbPoolSize: number;
  stripe: StripeConfig;
  /**
   * Charges (`POST /v1/payment_intents`) per second, all workers together: Stripe's per-endpoint
   * default, 25/s in live and test mode, unless Stripe raised the account's limit
   * (STRIPE_RATE_LIMIT_PER_SECOND). Lookups keep their own endpoints' 25/s (src/stripe/lookup-limit.ts).
   */
  stripeRateLimitPerSecond: number;
  /** Concurrent activities per worker process (default: a run's charges at the rate, plus 25). */
  workerActivitySlots: number;
  /** Where 3-D Secure notifications are POSTed, signed; unset: the log only. */
  notifyWebhook?: { url: string; secret: string };
  /** Set when STRIPE_WEBHOOK_SECRET is: the worker also serves the Stripe webhook endpoint. */
  webhook?: WebhookEndpointConfig;
  /** Card-network retry rules and per-card budgets: the defaults, with CARD_NETWORK_RULES (JSON) overrides. */
  networkRules: NetworkRuleTable;
  /** Set when METRICS_PORT is: Prometheus endpoints (src/metrics/). */
  metrics?: MetricsConfig;
}

export interface MetricsConfig {
  /** METRICS_HOST, default 127.0.0.1; both endpoints bind to it. */
  host: string;
  /** METRICS_PORT: the business metrics (prom-client), GET /metrics. */
  port: number;
  /** TEMPORAL_METRICS_PORT, default METRICS_PORT + 1: the SDK's runtime metrics (its own exporter). */
  temporalPort: number;
}

export interface WebhookEndpointConfig {
  /** The endpoint's signing secret (whsec_…). Never logged: non-enumerable. */
  secret: string;
  /** WEBHOOK_PORT, default 4242. */
  port: number;
  /** WEBHOOK_HOST, default 127.0.0.1 (put a TLS-terminating proxy in front). */
  host: string;
}

/** What `npm run webhooks` needs: Temporal, the database, and the endpoint. */
export interface WebhookServiceConfig {
  temporal: TemporalConfig;
  mysqlUrl: string;
  mysqlTls?: MysqlTls;
  dbPoolSize: number;
  webhook: WebhookEndpointConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const blankToUndefined = (env: Env): Env => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));

function parseEnv<S extends z.ZodType>(schema: S, env: Env, moreProblems: string[] = []): z.infer<S> {
  const parsed = schema.safeParse(blankToUndefined(env));
  // Messages name the variable and what to fix; they never echo the value (it may be a secret).
  const problems = [...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`)), ...moreProblems];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
}

/** Temporal settings plus payload encryption, every problem of both reported at once. */
function parseTemporalEnv<S extends z.ZodType<z.infer<typeof temporalEnvSchema>>>(schema: S, env: Env): TemporalConfig & { e: z.infer<S> } {
  const { codec, problems } = parseCodecEnv(blankToUndefined(env));
  const e = parseEnv(schema, env, problems);
  const [host, port] = e.TEMPORAL_ADDRESS.split(':');
  return {
    e,
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TASK_QUEUE,
    uiUrl: (e.TEMPORAL_UI_URL ?? `http://${host}:${Number(port) + 1000}`).replace(/\/$/, ''),
    codec: codec as CodecConfig,
  };
}

function temporalConfig<T>({ e: _e, ...config }: TemporalConfig & { e: T }): TemporalConfig {
  return config;
}

/** What the CLI needs: only Temporal (and the payload keys). */
export function loadClientConfig(env: Env = process.env): TemporalConfig {
  return temporalConfig(parseTemporalEnv(temporalEnvSchema, env));
}

/** What the worker needs. The only reader of process.env; reports every problem at once. */
export function loadConfig(env: Env = process.env): AppConfig {
  const temporal = parseTemporalEnv(workerEnvSchema, env);
  const { e } = temporal;
  const problems: string[] = [];
  const liveKey = /^(sk|rk)_live_/.test(e.STRIPE_SECRET_KEY);
  const allowLive = e.STRIPE_ALLOW_LIVE_KEY === 'true' || e.STRIPE_ALLOW_LIVE_KEY === '1';
  if (liveKey && !allowLive) {
    problems.push('STRIPE_SECRET_KEY is a live-mode key; set STRIPE_ALLOW_LIVE_KEY=true to charge real cards');
  }
  if ((e.NOTIFY_WEBHOOK_URL === undefined) !== (e.NOTIFY_WEBHOOK_SECRET === undefined)) {
    problems.push('NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_SECRET must be set together');
  }
  const mysqlTls = resolveMysqlTls(e.MYSQL_URL, env);
  problems.push(...mysqlTls.problems);
  const metrics = metricsConfig(e, problems);
  let networkRules: NetworkRuleTable = DEFAULT_NETWORK_RULES;
  if (e.CARD_NETWORK_RULES !== undefined && e.CARD_NETWORK_RULES.trim() !== '') {
    try {
      networkRules = resolveNetworkRules(JSON.parse(e.CARD_NETWORK_RULES) as NetworkRuleOverrides);
    } catch (err) {
      problems.push(`CARD_NETWORK_RULES: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  // Not the account's global 100/s (live): each endpoint has its own 25/s unless Stripe raised it.
  const chargeRate = e.STRIPE_RATE_LIMIT_PER_SECOND ?? STRIPE_ENDPOINT_DEFAULT_PER_SECOND;
  return {
    temporal: temporalConfig(temporal),
    mysqlUrl: e.MYSQL_URL,
    ...(mysqlTls.tls && { mysqlTls: mysqlTls.tls }),
    networkRules,
    dbPoolSize: e.DB_POOL_SIZE ?? 20,
    stripe: withHiddenSecret(
      { apiBase: e.STRIPE_API_BASE ? new URL(e.STRIPE_API_BASE) : undefined, timeoutMs: e.STRIPE_TIMEOUT_MS ?? 20_000 },
      e.STRIPE_SECRET_KEY,
    ),
    stripeRateLimitPerSecond: chargeRate,
    // One run's charges at that rate plus room for the rest: raising the rate raises both.
    workerActivitySlots: e.WORKER_ACTIVITY_SLOTS ?? activitySlotsForChargeRate(chargeRate),
    ...(e.NOTIFY_WEBHOOK_URL && e.NOTIFY_WEBHOOK_SECRET
      ? { notifyWebhook: Object.defineProperty({ url: e.NOTIFY_WEBHOOK_URL }, 'secret', { value: e.NOTIFY_WEBHOOK_SECRET, enumerable: false }) as { url: string; secret: string } }
      : {}),
    ...(e.STRIPE_WEBHOOK_SECRET && { webhook: webhookEndpointConfig(e.STRIPE_WEBHOOK_SECRET, e) }),
    ...(metrics && { metrics }),
  };
}

/** Off unless METRICS_PORT is set; the SDK's exporter needs a port of its own (it serves /metrics itself). */
function metricsConfig(
  e: { METRICS_PORT?: number; METRICS_HOST?: string; TEMPORAL_METRICS_PORT?: number; WEBHOOK_PORT?: number; STRIPE_WEBHOOK_SECRET?: string },
  problems: string[],
): MetricsConfig | undefined {
  if (e.METRICS_PORT === undefined) {
    if (e.TEMPORAL_METRICS_PORT !== undefined) problems.push('TEMPORAL_METRICS_PORT needs METRICS_PORT (which turns metrics on)');
    return undefined;
  }
  const temporalPort = e.TEMPORAL_METRICS_PORT ?? e.METRICS_PORT + 1;
  if (temporalPort === e.METRICS_PORT || temporalPort > 65_535) {
    problems.push('TEMPORAL_METRICS_PORT must be a port other than METRICS_PORT (default METRICS_PORT + 1)');
  }
  if (e.STRIPE_WEBHOOK_SECRET && [e.METRICS_PORT, temporalPort].includes(e.WEBHOOK_PORT ?? 4242)) {
    problems.push('METRICS_PORT and TEMPORAL_METRICS_PORT must differ from WEBHOOK_PORT');
  }
  return { host: e.METRICS_HOST ?? '127.0.0.1', port: e.METRICS_PORT, temporalPort };
}

const webhookServiceEnvSchema = temporalEnvSchema.extend({
  MYSQL_URL: workerEnvSchema.shape.MYSQL_URL,
  DB_POOL_SIZE: workerEnvSchema.shape.DB_POOL_SIZE,
  ...webhookEnvFields,
  STRIPE_WEBHOOK_SECRET: z
    .string({ error: "is required: the endpoint's signing secret (whsec_…) from the Stripe Dashboard or `stripe listen`" })
    .regex(WEBHOOK_SECRET_PATTERN, "must be the endpoint's signing secret (whsec_…)"),
});

/** The webhook endpoint on its own (`npm run webhooks`): refuses to start without a signing secret. */
export function loadWebhookServiceConfig(env: Env = process.env): WebhookServiceConfig {
  const temporal = parseTemporalEnv(webhookServiceEnvSchema, env);
  const { e } = temporal;
  const mysqlTls = tlsOrThrow(e.MYSQL_URL, env);
  return {
    temporal: temporalConfig(temporal),
    mysqlUrl: e.MYSQL_URL,
    ...(mysqlTls && { mysqlTls }),
    dbPoolSize: e.DB_POOL_SIZE ?? 10,
    webhook: webhookEndpointConfig(e.STRIPE_WEBHOOK_SECRET, e),
  };
}

function webhookEndpointConfig(secret: string, e: { WEBHOOK_PORT?: number; WEBHOOK_HOST?: string }): WebhookEndpointConfig {
  const rest = { port: e.WEBHOOK_PORT ?? 4242, host: e.WEBHOOK_HOST ?? '127.0.0.1' };
  return Object.defineProperty(rest, 'secret', { value: secret, enumerable: false }) as WebhookEndpointConfig;
}

/** `npm run codec-server`: the key ring (encryption must be on) and where the Web UI calls from. */
export interface CodecServerConfig {
  keyRing: KeyRing;
  port: number;
  host: string;
  /** Browser origins allowed by CORS; default the Web UI's (TEMPORAL_UI_URL or address port + 1000). */
  corsOrigins: string[];
  /** CODEC_SERVER_TOKEN: when set, calls need `Authorization: Bearer <token>`. Non-enumerable. */
  token?: string;
}

const codecServerEnvSchema = temporalEnvSchema.extend({
  CODEC_SERVER_PORT: optionalInt(1, 65_535),
  CODEC_SERVER_HOST: z.string().min(1).optional(),
  CODEC_SERVER_CORS_ORIGINS: z
    .string()
    .refine((v) => v.split(',').every((o) => /^https?:\/\/[^/\s]+$/.test(o.trim())), 'must be comma-separated origins such as http://127.0.0.1:8233 (scheme, host and port, no path)')
    .optional(),
  CODEC_SERVER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

export function loadCodecServerConfig(env: Env = process.env): CodecServerConfig {
  const temporal = parseTemporalEnv(codecServerEnvSchema, env);
  const { e } = temporal;
  if (temporal.codec.mode === 'off') throw new ConfigError(['TEMPORAL_CODEC is "off": the codec server needs the key ring (TEMPORAL_CODEC_KEYS or TEMPORAL_CODEC_KEYS_FILE)']);
  const config: CodecServerConfig = {
    keyRing: temporal.codec.keyRing,
    port: e.CODEC_SERVER_PORT ?? 8888,
    host: e.CODEC_SERVER_HOST ?? '127.0.0.1',
    corsOrigins: e.CODEC_SERVER_CORS_ORIGINS?.split(',').map((o) => o.trim()) ?? [new URL(temporal.uiUrl).origin],
  };
  return e.CODEC_SERVER_TOKEN ? Object.defineProperty(config, 'token', { value: e.CODEC_SERVER_TOKEN, enumerable: false }) : config;
}

/** Reporting commands read the database only. */
export function loadDatabaseUrl(env: Env = process.env): string {
  return parseEnv(z.object({ MYSQL_URL: workerEnvSchema.shape.MYSQL_URL }), env).MYSQL_URL;
}

/** MYSQL_URL and its TLS settings, for commands that only use the database. */
export function loadDatabaseConfig(env: Env = process.env): { mysqlUrl: string; mysqlTls?: MysqlTls } {
  const mysqlUrl = loadDatabaseUrl(env);
  const mysqlTls = tlsOrThrow(mysqlUrl, env);
  return { mysqlUrl, ...(mysqlTls && { mysqlTls }) };
}

function tlsOrThrow(mysqlUrl: string, env: Env): MysqlTls | undefined {
  const { tls, problems } = resolveMysqlTls(mysqlUrl, env);
  if (problems.length > 0) throw new ConfigError(problems);
  return tls;
}

/** The key is non-enumerable, so logging or serialising the config cannot leak it. */
function withHiddenSecret(rest: Omit<StripeConfig, 'secretKey'>, secretKey: string): StripeConfig {
  return Object.defineProperty({ ...rest }, 'secretKey', { value: secretKey, enumerable: false }) as StripeConfig;
}

/** Prints each problem on its own line and exits non-zero; for CLIs and the worker. */
export function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) console.error(`config error: ${p}`);
      process.exit(2);
    }
    throw err;
  }
}
