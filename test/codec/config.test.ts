import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, loadClientConfig, loadCodecServerConfig, loadConfig } from '../../src/config';

const worker = { MYSQL_URL: 'mysql://root:pw@127.0.0.1:3307/invoices', STRIPE_SECRET_KEY: 'sk_test_secretvalue123' };
const key1 = randomBytes(32).toString('base64');
const key2 = randomBytes(32).toString('hex');

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  return [];
}

describe('payload encryption configuration', () => {
  it('is on by default: without keys the worker, the CLI and the codec server refuse, saying how to fix it', () => {
    for (const load of [() => loadConfig(worker), () => loadClientConfig({}), () => loadCodecServerConfig({})]) {
      const p = problems(load);
      assert.equal(p.length, 1);
      assert.match(p[0], /^TEMPORAL_CODEC_KEYS is required: payloads are encrypted by default;.*TEMPORAL_CODEC_KEYS_FILE.*TEMPORAL_CODEC=off/);
    }
  });

  it('TEMPORAL_CODEC=off switches it off explicitly (dev stack, demo); the codec server still needs keys', () => {
    assert.deepEqual(loadConfig({ ...worker, TEMPORAL_CODEC: 'off' }).temporal.codec, { mode: 'off' });
    assert.match(problems(() => loadCodecServerConfig({ TEMPORAL_CODEC: 'off' })).join(), /codec server needs the key ring/);
    assert.match(problems(() => loadClientConfig({ TEMPORAL_CODEC: 'maybe' })).join(), /TEMPORAL_CODEC must be "on"/);
    assert.match(problems(() => loadClientConfig({ TEMPORAL_CODEC: 'off', TEMPORAL_CODEC_KEYS: `k1:${key1}` })).join(), /both|unset one/);
  });

  it('reads a key ring: the first key encrypts, all decrypt; base64 or hex', () => {
    const c = loadClientConfig({ TEMPORAL_CODEC_KEYS: `k2026:${key2}, k2025:${key1}` });
    assert.equal(c.codec.mode, 'on');
    if (c.codec.mode !== 'on') return;
    assert.equal(c.codec.keyRing.activeKeyId, 'k2026');
    assert.deepEqual(c.codec.keyRing.ids, ['k2026', 'k2025']);
    assert.deepEqual(c.codec.keyRing.key('k2025'), Buffer.from(key1, 'base64'));
  });

  it('reads the key ring from TEMPORAL_CODEC_KEYS_FILE (one per line, # comments)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'codec-keys-'));
    try {
      const file = path.join(dir, 'keys');
      writeFileSync(file, `# rotated 2026-12-01\nnew:${key1}\nold:${key2}  # retire after 2027-06\n`);
      const c = loadClientConfig({ TEMPORAL_CODEC_KEYS_FILE: file });
      assert.ok(c.codec.mode === 'on' && c.codec.keyRing.activeKeyId === 'new' && c.codec.keyRing.ids.length === 2);
      assert.match(problems(() => loadClientConfig({ TEMPORAL_CODEC_KEYS_FILE: path.join(dir, 'missing') })).join(), /TEMPORAL_CODEC_KEYS_FILE ".*missing" cannot be read \(ENOENT\)/);
      assert.match(problems(() => loadClientConfig({ TEMPORAL_CODEC_KEYS_FILE: file, TEMPORAL_CODEC_KEYS: `a:${key1}` })).join(), /both set/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses malformed, short and duplicate keys, one line each, without echoing key material', () => {
    const short = randomBytes(16).toString('base64');
    const p = problems(() => loadConfig({ ...worker, TEMPORAL_CODEC_KEYS: `a:${short},${key1},b:${key1},b:${key1}` }));
    assert.equal(p.length, 3);
    assert.match(p[0], /entry 1 \(key "a"\) must be 32 bytes/);
    assert.match(p[1], /entry 2 must be <key id>:<key>/);
    assert.match(p[2], /key id "b" is given twice/);
    assert.ok(!p.join('\n').includes(short) && !p.join('\n').includes(key1));
  });

  it('never serialises or inspects key material or the codec server token', () => {
    const c = loadConfig({ ...worker, TEMPORAL_CODEC_KEYS: `k1:${key1}` });
    const hex = Buffer.from(key1, 'base64').toString('hex');
    for (const text of [JSON.stringify(c), inspect(c, { depth: 10 })]) {
      assert.ok(text.includes('k1'), 'the key id shows');
      assert.ok(!text.includes(key1) && !text.includes(hex) && !text.includes('<Buffer'), text);
    }
    const server = loadCodecServerConfig({ TEMPORAL_CODEC_KEYS: `k1:${key1}`, CODEC_SERVER_TOKEN: 'codec-token-0123456789', TEMPORAL_UI_URL: 'http://ui.internal:8080/' });
    assert.equal(server.token, 'codec-token-0123456789');
    assert.deepEqual(server.corsOrigins, ['http://ui.internal:8080']);
    assert.ok(!JSON.stringify(server).includes('codec-token') && !inspect(server, { depth: 10 }).includes('codec-token'));
  });
});
