/** The one DataConverter every client and worker of the service uses, from the codec config. */
import type { DataConverter } from '@temporalio/common';
import { CleartextCodec, EncryptionCodec } from './encryption-codec';
import type { KeyRing } from './keys';

export type CodecConfig =
  | { mode: 'on'; keyRing: KeyRing }
  | { mode: 'off' };

/** The module the workflow bundle and every process load as their failure converter when encrypting. */
export const ENCRYPTING_FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function temporalDataConverter(codec: CodecConfig): DataConverter {
  if (codec.mode === 'off') return { payloadCodecs: [new CleartextCodec()] };
  return { payloadCodecs: [new EncryptionCodec(codec.keyRing)], failureConverterPath: ENCRYPTING_FAILURE_CONVERTER_PATH };
}

/** For the start-up line: key ids only, never key material. */
export function codecDescription(codec: CodecConfig): string {
  if (codec.mode === 'off') return 'payload encryption off';
  const { activeKeyId, ids } = codec.keyRing;
  return `payloads encrypted with key "${activeKeyId}"${ids.length > 1 ? `, ${ids.length - 1} more for decryption` : ''}`;
}
