import { strict as assert } from 'node:assert';
import { inspect } from 'node:util';
import { ConfigError, loadClientConfig, loadConfig } from '../src/config';

const good = { MYSQL_URL: 'mysql://root:pw@127.0.0.1:3307/invoices', STRIPE_SECRET_KEY: 'sk_test_secretvalue123', STRIPE_API_BASE: 'http://127.0.0.1:12111', TEMPORAL_CODEC: 'off' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

describe('configuration', () => {
  it('accepts a complete environment with defaults', () => {
    const c = loadConfig(good);
    assert.equal(c.temporal.address, 'localhost:7233');
    assert.equal(c.temporal.taskQueue, 'invoice-charging');
    assert.equal(c.stripe.apiBase?.port, '12111');
    assert.equal(c.stripeRateLimitPerSecond, 25);
  });
  it('reports every missing variable, one line each', () => {
    const p = problems({});
    assert.equal(p.length, 3);
    assert.match(p[0], /^MYSQL_URL/);
    assert.match(p[1], /^STRIPE_SECRET_KEY/);
    // Payload encryption is on unless switched off explicitly.
    assert.match(p[2], /^TEMPORAL_CODEC_KEYS is required: payloads are encrypted by default/);
  });
  it('refuses a publishable key without printing it', () => {
    const p = problems({ ...good, STRIPE_SECRET_KEY: 'pk_test_publishable999' });
    assert.match(p.join('\n'), /publishable/);
    assert.ok(!p.join('\n').includes('pk_test_publishable999'));
  });
  it('refuses malformed values', () => {
    const p = problems({ ...good, TEMPORAL_ADDRESS: 'not an address', STRIPE_API_BASE: 'ftp://x', MYSQL_URL: 'postgres://x' });
    assert.equal(p.length, 3);
  });
  it('card network rules: defaults, JSON overrides per network, and a bad override named', () => {
    assert.equal(loadConfig(good).networkRules.mastercard.budgets[0].maxAttempts, 10);
    const raised = loadConfig({ ...good, CARD_NETWORK_RULES: '{"visa":{"budgets":[{"name":"visa-30d","windowMs":2592000000,"maxAttempts":20}]}}' });
    assert.equal(raised.networkRules.visa.budgets[0].maxAttempts, 20);
    assert.deepEqual(raised.networkRules.visa.neverRetryDeclineCodes, loadConfig(good).networkRules.visa.neverRetryDeclineCodes, 'other fields keep their defaults');
    assert.match(problems({ ...good, CARD_NETWORK_RULES: '{"maestro":{}}' }).join('\n'), /CARD_NETWORK_RULES: unknown card network "maestro"/);
    assert.match(problems({ ...good, CARD_NETWORK_RULES: '{"visa":{"budgets":[]}}' }).join('\n'), /CARD_NETWORK_RULES: visa: at least one budget/);
    assert.match(problems({ ...good, CARD_NETWORK_RULES: 'not json' }).join('\n'), /CARD_NETWORK_RULES: /);
  });

  it('refuses a live key unless explicitly allowed', () => {
    assert.match(problems({ ...good, STRIPE_SECRET_KEY: 'sk_live_abc' }).join(), /STRIPE_ALLOW_LIVE_KEY/);
    assert.match(problems({ ...good, STRIPE_SECRET_KEY: 'rk_live_abc' }).join(), /STRIPE_ALLOW_LIVE_KEY/);
  });
  it("defaults to Stripe's per-endpoint limit for charges, 25/s, for live and test keys; one setting raises it", () => {
    const live = { ...good, STRIPE_ALLOW_LIVE_KEY: 'true' };
    for (const key of ['sk_test_abc', 'rk_test_abc', 'sk_live_abc', 'rk_live_abc']) {
      assert.equal(loadConfig({ ...live, STRIPE_SECRET_KEY: key }).stripeRateLimitPerSecond, 25, key);
    }
    assert.equal(loadConfig({ ...live, STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_RATE_LIMIT_PER_SECOND: '100' }).stripeRateLimitPerSecond, 100);
    assert.match(problems({ ...good, STRIPE_RATE_LIMIT_PER_SECOND: '0' }).join(), /^STRIPE_RATE_LIMIT_PER_SECOND/);
  });
  it("sizes the worker's activity slots from the charge rate unless WORKER_ACTIVITY_SLOTS is set", () => {
    assert.equal(loadConfig(good).workerActivitySlots, 100);
    assert.equal(loadConfig({ ...good, STRIPE_RATE_LIMIT_PER_SECOND: '100' }).workerActivitySlots, 145, "a run's 120 charges and 25 more");
    assert.equal(loadConfig({ ...good, STRIPE_RATE_LIMIT_PER_SECOND: '100', WORKER_ACTIVITY_SLOTS: '60' }).workerActivitySlots, 60);
  });
  it('never serialises or inspects the secret key', () => {
    const c = loadConfig(good);
    assert.equal(c.stripe.secretKey, good.STRIPE_SECRET_KEY);
    assert.ok(!JSON.stringify(c).includes('secretvalue123'));
    assert.ok(!inspect(c, { depth: 5 }).includes('secretvalue123'));
  });
  it('serves metrics only when METRICS_PORT is set; the SDK exporter gets the next port unless told', () => {
    assert.equal(loadConfig(good).metrics, undefined);
    assert.deepEqual(loadConfig({ ...good, METRICS_PORT: '9464' }).metrics, { host: '127.0.0.1', port: 9464, temporalPort: 9465 });
    assert.deepEqual(
      loadConfig({ ...good, METRICS_PORT: '9464', TEMPORAL_METRICS_PORT: '9100', METRICS_HOST: '0.0.0.0' }).metrics,
      { host: '0.0.0.0', port: 9464, temporalPort: 9100 },
    );
  });
  it('refuses metrics ports that clash or cannot work', () => {
    assert.match(problems({ ...good, TEMPORAL_METRICS_PORT: '9100' }).join(), /TEMPORAL_METRICS_PORT needs METRICS_PORT/);
    assert.match(problems({ ...good, METRICS_PORT: '9464', TEMPORAL_METRICS_PORT: '9464' }).join(), /other than METRICS_PORT/);
    assert.match(problems({ ...good, METRICS_PORT: '65535' }).join(), /other than METRICS_PORT/);
    assert.match(problems({ ...good, METRICS_PORT: 'x' }).join(), /^METRICS_PORT/);
    assert.match(
      problems({ ...good, METRICS_PORT: '4241', STRIPE_WEBHOOK_SECRET: 'whsec_abc' }).join(),
      /must differ from WEBHOOK_PORT/,
    );
  });
  it('needs only Temporal settings for the client', () => {
    const c = loadClientConfig({ TEMPORAL_ADDRESS: '10.0.0.5:7233', TEMPORAL_CODEC: 'off' });
    assert.equal(c.uiUrl, 'http://10.0.0.5:8233');
  });
});
