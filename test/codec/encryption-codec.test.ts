import { strict as assert } from 'node:assert';
import type { Payload } from '@temporalio/common';
import { CleartextCodec, ENCODING_ENCRYPTED, EncryptionCodec, MissingCodecKeyError } from '../../src/codec/encryption-codec';
import { metadataText, newKey, ring } from './codec-support';

const plain = (json: string): Payload => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(json) });
const text = (p: Payload): string => Buffer.from(p.data ?? []).toString('utf8');

describe('EncryptionCodec (AES-256-GCM with a key ring)', () => {
  const k1 = newKey();
  const codec = new EncryptionCodec(ring(['k1', k1]));

  it('round-trips payloads; ciphertext differs each time and hides data and encoding', async () => {
    const input = [plain('{"payment_intent_id":"pi_123"}'), { metadata: { encoding: Buffer.from('binary/null') } }];
    const [a] = await codec.encode(input);
    const [b] = await codec.encode(input);
    assert.equal(metadataText(a, 'encoding'), ENCODING_ENCRYPTED);
    assert.equal(metadataText(a, 'encryption-key-id'), 'k1');
    assert.notDeepEqual(Buffer.from(a.data ?? []), Buffer.from(b.data ?? []), 'a fresh IV per payload');
    assert.ok(!text(a).includes('pi_123') && !text(a).includes('json/plain'));
    const back = await codec.decode(await codec.encode(input));
    assert.equal(text(back[0]), '{"payment_intent_id":"pi_123"}');
    assert.equal(metadataText(back[0], 'encoding'), 'json/plain');
    assert.equal(metadataText(back[1], 'encoding'), 'binary/null');
  });

  it('passes cleartext through (histories from before encryption stay readable)', async () => {
    assert.equal(text((await codec.decode([plain('{"old":true}')]))[0]), '{"old":true}');
  });

  it('refuses a tampered payload, a different key under the same id, and another id passed off', async () => {
    const [sealed] = await codec.encode([plain('{"a":1}')]);
    const tampered = { ...sealed, data: Buffer.from(sealed.data ?? []).map((byte, i) => (i === 20 ? byte ^ 1 : byte)) };
    await assert.rejects(codec.decode([tampered]), /does not authenticate with key "k1"/);
    await assert.rejects(new EncryptionCodec(ring(['k1', newKey()])).decode([sealed]), /does not authenticate with key "k1"/);
    // The same key material under another id: the id is authenticated data.
    const relabelled = { ...sealed, metadata: { ...sealed.metadata, 'encryption-key-id': Buffer.from('k2') } };
    await assert.rejects(new EncryptionCodec(ring(['k2', k1])).decode([relabelled]), /does not authenticate with key "k2"/);
  });

  it('names the missing key; with encryption off too', async () => {
    const [sealed] = await codec.encode([plain('{"a":1}')]);
    await assert.rejects(new EncryptionCodec(ring(['k9', newKey()])).decode([sealed]), (err: unknown) => err instanceof MissingCodecKeyError && err.keyId === 'k1' && /not in this process's key ring \("k9"\)/.test(err.message));
    await assert.rejects(new CleartextCodec().decode([sealed]), /encryption is off here \(TEMPORAL_CODEC=off\)/);
    assert.equal(text((await new CleartextCodec().decode([plain('{"b":2}')]))[0]), '{"b":2}');
  });
});
