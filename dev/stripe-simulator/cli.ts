/**
 * Standalone simulator:
 *   npx tsx dev/stripe-simulator/cli.ts --port 12111 [--rate-limit 25] [--latency-ms 50] ...
 *   npm run stripe-sim -- --port 12111
 * Point the app at it with STRIPE_API_BASE=http://127.0.0.1:12111 and STRIPE_SECRET_KEY=sk_test_simulator.
 */
import { Command, InvalidArgumentError } from 'commander';
import { startStripeSimulator } from './server';
import { DEFAULT_API_KEY, STRIPE_RATE_LIMITS } from './simulator';
import { FAULT_KINDS, type FaultConfig, type FaultKind, type LatencyConfig, type RateLimitConfig, type SimulatorOptions } from './types';

function num(name: string, min = 0, max = Number.POSITIVE_INFINITY) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}]`);
    return n;
  };
}

const rate = (name: string) => num(name, 0, 1);

function faultList(raw: string): FaultKind[] {
  const kinds = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const k of kinds) {
    if (!FAULT_KINDS.includes(k as FaultKind)) throw new InvalidArgumentError(`unknown fault ${k}; one of ${FAULT_KINDS.join(', ')}`);
  }
  return kinds as FaultKind[];
}

interface CliOptions {
  port: number;
  host: string;
  apiKey: string[];
  restrictedKey: string[];
  rateLimit?: number;
  liveRateLimit?: number;
  testRateLimit?: number;
  endpointRateLimit?: number;
  endpointLimit: string[];
  retryAfter: boolean;
  lockTimeoutRate?: number;
  lockTimeoutWindowMs?: number;
  latency: LatencyConfig['distribution'];
  latencyMs: number;
  latencyMinMs?: number;
  latencyMaxMs?: number;
  latencyStdDevMs?: number;
  error500Rate?: number;
  resetBeforeRate?: number;
  dropAfterCommitRate?: number;
  slowResponseRate?: number;
  slowResponseMs?: number;
  rateLimit429Rate?: number;
  nextFaults?: FaultKind[];
  retentionMs?: number;
  seed?: number;
  strictAttach: boolean;
  webhookUrl?: string;
  webhookSecret?: string;
  quiet: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

const program = new Command('stripe-sim')
  .description('Stripe API simulator (test mode). Admin API under /_sim (see README).')
  .option('--port <n>', 'port (0 = any free port)', num('port', 0, 65535), 12111)
  .option('--host <host>', 'interface to bind', '127.0.0.1')
  .option('--api-key <key>', 'accepted secret key (repeatable)', collect, [])
  .option('--restricted-key <key>', 'key that gets 403 on every endpoint (repeatable)', collect, [])
  .option('--rate-limit <n>', "legacy: one limit per mode at this rate, no per-endpoint limits (default: Stripe's limits)", num('rate-limit', 0.001))
  .option('--live-rate-limit <n>', 'global requests/s for live keys (default 100)', num('live-rate-limit', 0.001))
  .option('--test-rate-limit <n>', 'global requests/s for test keys (default 25)', num('test-rate-limit', 0.001))
  .option('--endpoint-rate-limit <n>', 'default requests/s per endpoint (default 25)', num('endpoint-rate-limit', 0.001))
  .option('--no-endpoint-rate-limit', 'no per-endpoint limits')
  .option('--endpoint-limit <endpoint=n>', "one endpoint's limit, e.g. 'POST /v1/payment_intents=100' (repeatable)", collect, [])
  .option('--retry-after', 'send Retry-After on rate-limit 429s', false)
  .option('--lock-timeout-rate <r>', 'chance a contended write for one customer gets 429 lock_timeout', rate('lock-timeout-rate'))
  .option('--lock-timeout-window-ms <n>', 'writes for one customer this close together contend', num('lock-timeout-window-ms'))
  .option('--latency <distribution>', 'fixed | uniform | normal', 'fixed')
  .option('--latency-ms <n>', 'latency mean', num('latency-ms'), 0)
  .option('--latency-min-ms <n>', 'latency lower bound', num('latency-min-ms'))
  .option('--latency-max-ms <n>', 'latency upper bound', num('latency-max-ms'))
  .option('--latency-std-dev-ms <n>', 'normal distribution standard deviation', num('latency-std-dev-ms'))
  .option('--error500-rate <r>', 'share of requests answered 500', rate('error500-rate'))
  .option('--reset-before-rate <r>', 'share of requests whose socket is reset before processing', rate('reset-before-rate'))
  .option('--drop-after-commit-rate <r>', 'share processed, committed, then dropped', rate('drop-after-commit-rate'))
  .option('--slow-response-rate <r>', 'share processed, committed, then held', rate('slow-response-rate'))
  .option('--slow-response-ms <n>', 'how long slow responses are held', num('slow-response-ms'))
  .option('--rate-limit-429-rate <r>', 'share of extra 429s', rate('rate-limit-429-rate'))
  .option('--next-faults <list>', `comma-separated faults for the next POSTs (${FAULT_KINDS.join(', ')})`, faultList)
  .option('--retention-ms <n>', 'idempotency key retention', num('retention-ms'))
  .option('--seed <n>', 'PRNG seed for fault and latency draws', num('seed'))
  .option('--no-strict-attach', 'let declining test cards attach (Stripe refuses them; default: refused as on Stripe)')
  .option('--webhook-url <url>', 'deliver signed events to this URL')
  .option('--webhook-secret <secret>', 'endpoint secret for Stripe-Signature', 'whsec_simulator')
  .option('--quiet', 'no request log', false);

async function main(): Promise<void> {
  const o = program.parse().opts<CliOptions>();
  if (!['fixed', 'uniform', 'normal'].includes(o.latency)) throw new Error('--latency must be fixed, uniform or normal');
  const latency: LatencyConfig = {
    distribution: o.latency,
    meanMs: o.latencyMs,
    ...(o.latencyMinMs !== undefined ? { minMs: o.latencyMinMs } : {}),
    ...(o.latencyMaxMs !== undefined ? { maxMs: o.latencyMaxMs } : {}),
    ...(o.latencyStdDevMs !== undefined ? { stdDevMs: o.latencyStdDevMs } : {}),
  };
  const faults: FaultConfig = {
    ...(o.error500Rate !== undefined ? { error500Rate: o.error500Rate } : {}),
    ...(o.resetBeforeRate !== undefined ? { resetBeforeRate: o.resetBeforeRate } : {}),
    ...(o.dropAfterCommitRate !== undefined ? { dropAfterCommitRate: o.dropAfterCommitRate } : {}),
    ...(o.slowResponseRate !== undefined ? { slowResponseRate: o.slowResponseRate } : {}),
    ...(o.slowResponseMs !== undefined ? { slowResponseMs: o.slowResponseMs } : {}),
    ...(o.rateLimit429Rate !== undefined ? { rateLimit429Rate: o.rateLimit429Rate } : {}),
    ...(o.nextFaults !== undefined ? { next: o.nextFaults } : {}),
  };
  const endpoints: Record<string, number> = { ...STRIPE_RATE_LIMITS.endpoints };
  for (const spec of o.endpointLimit) {
    const at = spec.lastIndexOf('=');
    const value = Number(spec.slice(at + 1));
    if (at < 0 || !(value > 0)) throw new Error(`--endpoint-limit needs 'METHOD /path=n', got '${spec}'`);
    endpoints[spec.slice(0, at).trim()] = value;
  }
  const rateLimits: Partial<RateLimitConfig> = {
    endpoints,
    sendRetryAfter: o.retryAfter,
    ...(o.liveRateLimit !== undefined ? { livePerSecond: o.liveRateLimit } : {}),
    ...(o.testRateLimit !== undefined ? { testPerSecond: o.testRateLimit } : {}),
    ...(o.endpointRateLimit !== undefined ? { endpointPerSecond: o.endpointRateLimit } : {}),
    // commander turns --no-endpoint-rate-limit into endpointRateLimit === false
    ...((o.endpointRateLimit as unknown) === false ? { endpointPerSecond: null } : {}),
  };
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const options: SimulatorOptions = {
    port: o.port,
    host: o.host,
    apiKeys: o.apiKey.length > 0 ? o.apiKey : [DEFAULT_API_KEY],
    restrictedKeys: o.restrictedKey,
    ...(o.rateLimit !== undefined ? { rateLimitPerSecond: o.rateLimit } : {}),
    rateLimits,
    lockTimeout: {
      ...(o.lockTimeoutRate !== undefined ? { probability: o.lockTimeoutRate } : {}),
      ...(o.lockTimeoutWindowMs !== undefined ? { windowMs: o.lockTimeoutWindowMs } : {}),
    },
    latency,
    faults,
    strictAttach: o.strictAttach,
    ...(o.retentionMs !== undefined ? { idempotencyRetentionMs: o.retentionMs } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.webhookUrl !== undefined ? { webhook: { url: o.webhookUrl, secret: o.webhookSecret ?? 'whsec_simulator' } } : {}),
    ...(o.quiet ? {} : { log }),
  };
  const sim = await startStripeSimulator(options);
  // The default key is printed because it is a fixed, public test value; custom keys are not.
  console.log(`stripe-sim listening on ${sim.url} (admin: ${sim.url}/_sim/stats)`);
  if (o.apiKey.length === 0) console.log(`accepted API key: ${DEFAULT_API_KEY}`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
