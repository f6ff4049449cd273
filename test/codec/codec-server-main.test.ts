import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { findFreePort } from '../../dev/stack/ports';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { payloadFromJson, payloadToJson } from '../../src/codec/payload-json';
import { newKey, ring } from './codec-support';

const ROOT = path.resolve(__dirname, '..', '..');

describe('npm run codec-server (src/codec/main.ts as a process)', function () {
  this.timeout(90_000);

  it('serves /decode with the configured keys, prints key ids only, stops on SIGTERM', async () => {
    const key = newKey();
    const port = await findFreePort();
    const proc = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/codec/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TEMPORAL_CODEC_KEYS: `k-main:${key.toString('base64')}`, CODEC_SERVER_PORT: String(port), CODEC_SERVER_TOKEN: 'main-token-0123456789abc' },
    });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    try {
      for (let i = 0; i < 200 && !output.includes('codec server on'); i += 1) await new Promise((r) => setTimeout(r, 200));
      assert.match(output, new RegExp(`codec server on http://127\\.0\\.0\\.1:${port} \\(/encode, /decode; keys "k-main"; CORS for http://localhost:8233; bearer token required\\)`));
      const [sealed] = await new EncryptionCodec(ring(['k-main', key])).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"pi_main"') }]);
      const res = await fetch(`http://127.0.0.1:${port}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer main-token-0123456789abc' },
        body: JSON.stringify({ payloads: [payloadToJson(sealed)] }),
      });
      assert.equal(res.status, 200);
      const [decoded] = ((await res.json()) as { payloads: unknown[] }).payloads.map(payloadFromJson);
      assert.equal(Buffer.from(decoded.data ?? []).toString(), '"pi_main"');
    } finally {
      proc.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.ok(!output.includes(key.toString('base64')) && !output.includes('main-token-0123456789abc'), 'no key material or token printed');
  });

  it('refuses to start without keys, saying what to set', async () => {
    const proc = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/codec/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', TEMPORAL_CODEC: 'off' } });
    let output = '';
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    assert.equal(code, 2);
    assert.match(output, /config error: TEMPORAL_CODEC is "off": the codec server needs the key ring/);
  });
});
