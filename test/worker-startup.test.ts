import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkStripeKey } from '../src/preflight';
import { NO_FAULTS, stripeClientFor } from './support/services';
import { getTestStack, STACK_START_TIMEOUT_MS } from './support/stack';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** Runs the worker with exactly `env` (plus PATH); resolves with its exit code and output. */
async function startWorker(env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(TSX, ['src/worker.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('worker start-up refuses bad configuration with one clear line per problem', function () {
  this.timeout(90_000);

  it('names every missing or malformed variable, exits 2, and never echoes the key', async () => {
    const { code, output } = await startWorker({ STRIPE_SECRET_KEY: 'pk_test_not_secret_4242', TEMPORAL_ADDRESS: 'nonsense' });
    assert.equal(code, 2);
    const lines = output.trim().split('\n');
    // No key ring and no TEMPORAL_CODEC=off: production config refuses to store payloads in cleartext.
    assert.deepEqual(lines.map((l) => l.split(' ')[2]), ['TEMPORAL_ADDRESS', 'MYSQL_URL', 'STRIPE_SECRET_KEY', 'TEMPORAL_CODEC_KEYS']);
    assert.ok(lines.every((l) => l.startsWith('config error: ')));
    assert.ok(!output.includes('pk_test_not_secret_4242'));
  });

  it('says which service it cannot reach', async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    const stack = await getTestStack();
    const noDb = await startWorker({ ...stack.env, MYSQL_URL: 'mysql://root:hunter2@127.0.0.1:1/invoices' });
    assert.equal(noDb.code, 1);
    assert.match(noDb.output, /cannot reach MySQL at 127\.0\.0\.1:1\/invoices \(ECONNREFUSED\): is it running\? check the host and port in MYSQL_URL/);
    assert.ok(!noDb.output.includes('hunter2'));

    const wrongPassword = new URL(stack.env.MYSQL_URL);
    wrongPassword.password = 'hunter2';
    const badLogin = await startWorker({ ...stack.env, MYSQL_URL: wrongPassword.toString() });
    assert.equal(badLogin.code, 1);
    assert.match(badLogin.output, /refused user "root" \(ER_ACCESS_DENIED_ERROR\): wrong user name or password; fix them in MYSQL_URL/);
    assert.ok(!badLogin.output.includes('hunter2'));

    const badKey = await startWorker({ ...stack.env, STRIPE_SECRET_KEY: 'sk_test_revoked_key_0000' });
    assert.equal(badKey.code, 1);
    assert.match(badKey.output, /rejected STRIPE_SECRET_KEY \(401\)/);
    assert.ok(!badKey.output.includes('sk_test_revoked_key_0000'));

    const noTemporal = await startWorker({ ...stack.env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(noTemporal.code, 1);
    assert.match(noTemporal.output, /cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('does not mistake a busy or failing Stripe for a bad key', async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    const stack = await getTestStack();
    stack.stripe.configure({ faults: { next: ['error500', 'rateLimit429'], nextAppliesTo: 'all' } });
    try {
      await checkStripeKey(stripeClientFor(stack), new URL(stack.stripe.url), 10);
      assert.equal(stack.stripe.config().faults.next?.length ?? 0, 0, 'both faults were met and retried');
      await assert.rejects(checkStripeKey(stripeClientFor(stack, 'sk_test_wrong_key_1111'), undefined, 10), /rejected STRIPE_SECRET_KEY/);
    } finally {
      stack.stripe.configure({ faults: NO_FAULTS });
    }
  });
});
