/**
 * AES-256-GCM payload encryption, after Temporal's encryption sample: the whole Payload (metadata
 * and data) is serialised and encrypted, so the encoding too stays private. The result's metadata
 * says `binary/encrypted` and names the key (`encryption-key-id`); the key id is authenticated
 * as additional data, so a payload cannot be passed off under another key's id.
 * Runs in the worker's main thread, the client and the codec server, never in the workflow sandbox.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { KeyRing } from './keys';

export const ENCODING_ENCRYPTED = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload this process cannot decrypt: the message says which key id to add. */
export class MissingCodecKeyError extends Error {
  constructor(readonly keyId: string, known: string[]) {
    super(
      known.length === 0
        ? `payload is encrypted with key "${keyId}", but payload encryption is off here (TEMPORAL_CODEC=off): ` +
          `configure the key ring (TEMPORAL_CODEC_KEYS or TEMPORAL_CODEC_KEYS_FILE) with key "${keyId}"`
        : `payload is encrypted with key "${keyId}", which is not in this process's key ring (${known.map((k) => `"${k}"`).join(', ')}): ` +
          `add key "${keyId}" to TEMPORAL_CODEC_KEYS (or TEMPORAL_CODEC_KEYS_FILE); keep retired keys there while histories written with them exist`,
    );
    this.name = 'MissingCodecKeyError';
  }
}

const text = new TextEncoder();
const fromUtf8 = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');

export function isEncrypted(payload: Payload): boolean {
  return fromUtf8(payload.metadata?.encoding) === ENCODING_ENCRYPTED;
}

export function encryptionKeyIdOf(payload: Payload): string {
  return fromUtf8(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID]);
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.ring.activeKeyId;
    const key = this.ring.key(keyId) as Buffer;
    return Promise.resolve(payloads.map((payload) => ({
      metadata: {
        encoding: text.encode(ENCODING_ENCRYPTED),
        [METADATA_ENCRYPTION_KEY_ID]: text.encode(keyId),
      },
      data: encrypt(key, keyId, temporal.api.common.v1.Payload.encode(payload).finish()),
    })));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads.map((payload) => {
      // Cleartext from before encryption was turned on stays readable.
      if (!isEncrypted(payload)) return payload;
      const keyId = encryptionKeyIdOf(payload);
      const key = this.ring.key(keyId);
      if (!key) throw new MissingCodecKeyError(keyId, this.ring.ids);
      const decoded = temporal.api.common.v1.Payload.decode(decrypt(key, keyId, payload.data ?? new Uint8Array()));
      return { metadata: decoded.metadata, data: decoded.data };
    }));
  }
}

/**
 * With encryption off: passes every payload through, but an encrypted one fails with the clear
 * error instead of the payload converter's "unknown encoding".
 */
export class CleartextCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads);
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    for (const payload of payloads) {
      if (isEncrypted(payload)) throw new MissingCodecKeyError(encryptionKeyIdOf(payload), []);
    }
    return Promise.resolve(payloads);
  }
}

function encrypt(key: Buffer, keyId: string, plain: Uint8Array): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(text.encode(keyId));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function decrypt(key: Buffer, keyId: string, sealed: Uint8Array): Uint8Array {
  const bytes = Buffer.from(sealed);
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error(`encrypted payload (key "${keyId}") is truncated`);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(text.encode(keyId));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    // Wrong key material under a known id, or a tampered payload: never decrypts to garbage.
    throw new Error(`encrypted payload does not authenticate with key "${keyId}": the key under that id differs from the one that encrypted it, or the payload was altered`);
  }
}
