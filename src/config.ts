import { z } from 'zod';
import { TASK_QUEUE } from './shared';

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
  ...webhookEnvFields,
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
}

export interface AppConfig {
  temporal: TemporalConfig;
  mysqlUrl: string;
  dbPoolSize: number;
  stripe: StripeConfig;
  /**
   * Charges (`POST /v1/payment_intents`) per second, all workers together: Stripe's per-endpoint
   * default, 25/s in live and test mode, unless Stripe raised the account's limit
   * (STRIPE_RATE_LIMIT_PER_SECOND). Lookups keep their own endpoints' 25/s (src/stripe/lookup-limit.ts).
   */
  stripeRateLimitPerSecond: number;
  /** Concurrent activities per worker process. */
  workerActivitySlots: number;
  /** Where 3-D Secure notifications are POSTed, signed; unset: the log only. */
  notifyWebhook?: { url: string; secret: string };
  /** Set when STRIPE_WEBHOOK_SECRET is: the worker also serves the Stripe webhook endpoint. */
  webhook?: WebhookEndpointConfig;
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

function parseEnv<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const blankToUndefined = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
  const parsed = schema.safeParse(blankToUndefined);
  if (!parsed.success) {
    // Messages name the variable and what to fix; they never echo the value (it may be a secret).
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`));
  }
  return parsed.data;
}

function temporalConfig(e: z.infer<typeof temporalEnvSchema>): TemporalConfig {
  const [host, port] = e.TEMPORAL_ADDRESS.split(':');
  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TASK_QUEUE,
    uiUrl: (e.TEMPORAL_UI_URL ?? `http://${host}:${Number(port) + 1000}`).replace(/\/$/, ''),
  };
}

/** What the CLI needs: only Temporal. */
export function loadClientConfig(env: Env = process.env): TemporalConfig {
  return temporalConfig(parseEnv(temporalEnvSchema, env));
}

/** What the worker needs. The only reader of process.env; reports every problem at once. */
export function loadConfig(env: Env = process.env): AppConfig {
  const e = parseEnv(workerEnvSchema, env);
  const problems: string[] = [];
  const liveKey = /^(sk|rk)_live_/.test(e.STRIPE_SECRET_KEY);
  const allowLive = e.STRIPE_ALLOW_LIVE_KEY === 'true' || e.STRIPE_ALLOW_LIVE_KEY === '1';
  if (liveKey && !allowLive) {
    problems.push('STRIPE_SECRET_KEY is a live-mode key; set STRIPE_ALLOW_LIVE_KEY=true to charge real cards');
  }
  if ((e.NOTIFY_WEBHOOK_URL === undefined) !== (e.NOTIFY_WEBHOOK_SECRET === undefined)) {
    problems.push('NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_SECRET must be set together');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    temporal: temporalConfig(e),
    mysqlUrl: e.MYSQL_URL,
    dbPoolSize: e.DB_POOL_SIZE ?? 20,
    stripe: withHiddenSecret(
      { apiBase: e.STRIPE_API_BASE ? new URL(e.STRIPE_API_BASE) : undefined, timeoutMs: e.STRIPE_TIMEOUT_MS ?? 20_000 },
      e.STRIPE_SECRET_KEY,
    ),
    // Not the account's global 100/s (live): each endpoint has its own 25/s unless Stripe raised it.
    stripeRateLimitPerSecond: e.STRIPE_RATE_LIMIT_PER_SECOND ?? STRIPE_ENDPOINT_DEFAULT_PER_SECOND,
    workerActivitySlots: e.WORKER_ACTIVITY_SLOTS ?? 100,
    ...(e.NOTIFY_WEBHOOK_URL && e.NOTIFY_WEBHOOK_SECRET
      ? { notifyWebhook: Object.defineProperty({ url: e.NOTIFY_WEBHOOK_URL }, 'secret', { value: e.NOTIFY_WEBHOOK_SECRET, enumerable: false }) as { url: string; secret: string } }
      : {}),
    ...(e.STRIPE_WEBHOOK_SECRET && { webhook: webhookEndpointConfig(e.STRIPE_WEBHOOK_SECRET, e) }),
  };
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
  const e = parseEnv(webhookServiceEnvSchema, env);
  return {
    temporal: temporalConfig(e),
    mysqlUrl: e.MYSQL_URL,
    dbPoolSize: e.DB_POOL_SIZE ?? 10,
    webhook: webhookEndpointConfig(e.STRIPE_WEBHOOK_SECRET, e),
  };
}

function webhookEndpointConfig(secret: string, e: { WEBHOOK_PORT?: number; WEBHOOK_HOST?: string }): WebhookEndpointConfig {
  const rest = { port: e.WEBHOOK_PORT ?? 4242, host: e.WEBHOOK_HOST ?? '127.0.0.1' };
  return Object.defineProperty(rest, 'secret', { value: secret, enumerable: false }) as WebhookEndpointConfig;
}

/** Reporting commands read the database only. */
export function loadDatabaseUrl(env: Env = process.env): string {
  return parseEnv(z.object({ MYSQL_URL: workerEnvSchema.shape.MYSQL_URL }), env).MYSQL_URL;
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
