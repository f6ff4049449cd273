import { strict as assert } from 'node:assert';
import { inspect } from 'node:util';
import { ConfigError, loadClientConfig, loadConfig } from '../src/config';

const good = { MYSQL_URL: 'mysql://root:pw@127.0.0.1:3307/invoices', STRIPE_SECRET_KEY: 'sk_test_secretvalue123', STRIPE_API_BASE: 'http://127.0.0.1:12111' };

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
    assert.equal(p.length, 2);
    assert.match(p[0], /^MYSQL_URL/);
    assert.match(p[1], /^STRIPE_SECRET_KEY/);
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
  it('never serialises or inspects the secret key', () => {
    const c = loadConfig(good);
    assert.equal(c.stripe.secretKey, good.STRIPE_SECRET_KEY);
    assert.ok(!JSON.stringify(c).includes('secretvalue123'));
    assert.ok(!inspect(c, { depth: 5 }).includes('secretvalue123'));
  });
  it('needs only Temporal settings for the client', () => {
    const c = loadClientConfig({ TEMPORAL_ADDRESS: '10.0.0.5:7233' });
    assert.equal(c.uiUrl, 'http://10.0.0.5:8233');
  });
});
