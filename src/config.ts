import { z } from 'zod';
import { TASK_QUEUE } from './shared';

/** Secret and publishable keys look like `sk_test_…`, `rk_live_…`, `pk_test_…`. */
const STRIPE_KEY_PATTERN = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;

const optionalInt = (min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).optional();

const envSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233')
    .default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
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
});

export interface StripeConfig {
  /** Never logged, never passed to workflows. */
  secretKey: string;
  /** Unset: api.stripe.com. Set: e.g. the simulator at http://127.0.0.1:12111. */
  apiBase?: URL;
  timeoutMs: number;
}

export interface AppConfig {
  temporal: { address: string; namespace: string; taskQueue: string };
  mysqlUrl: string;
  dbPoolSize: number;
  stripe: StripeConfig;
  /** Stripe's documented limit: 25/s in test mode, 100/s live. */
  stripeRateLimitPerSecond: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** The only reader of process.env: validates everything at once and reports every problem. */
export function loadConfig(env: Env = process.env): AppConfig {
  const blankToUndefined = Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]),
  );
  const parsed = envSchema.safeParse(blankToUndefined);
  if (!parsed.success) {
    // Messages name the variable and what to fix; they never echo the value (it may be a secret).
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const liveKey = /^(sk|rk)_live_/.test(e.STRIPE_SECRET_KEY);
  const allowLive = e.STRIPE_ALLOW_LIVE_KEY === 'true' || e.STRIPE_ALLOW_LIVE_KEY === '1';
  if (liveKey && !allowLive) {
    problems.push('STRIPE_SECRET_KEY is a live-mode key; set STRIPE_ALLOW_LIVE_KEY=true to charge real cards');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TASK_QUEUE },
    mysqlUrl: e.MYSQL_URL,
    dbPoolSize: e.DB_POOL_SIZE ?? 20,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      apiBase: e.STRIPE_API_BASE ? new URL(e.STRIPE_API_BASE) : undefined,
      timeoutMs: e.STRIPE_TIMEOUT_MS ?? 20_000,
    },
    stripeRateLimitPerSecond: e.STRIPE_RATE_LIMIT_PER_SECOND ?? (liveKey ? 100 : 25),
  };
}

/** Prints each problem on its own line and exits non-zero; for CLIs and the worker. */
export function loadConfigOrExit(env: Env = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) console.error(`config error: ${p}`);
      process.exit(2);
    }
    throw err;
  }
}
