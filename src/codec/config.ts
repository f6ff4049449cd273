/**
 * Payload encryption settings, read by src/config.ts. The rule: encryption is on unless
 * `TEMPORAL_CODEC=off` is set explicitly; on, it needs a key ring from TEMPORAL_CODEC_KEYS or the
 * file TEMPORAL_CODEC_KEYS_FILE (exactly one). The dev stack and the demo set `off`.
 */
import { readFileSync } from 'node:fs';
import type { CodecConfig } from './data-converter';
import { parseKeyRing } from './keys';

type Env = Record<string, string | undefined>;

const KEYS_HINT = 'give them as <key id>:<base64 key>[,<key id>:<base64 key>…] (the first encrypts; make one with `openssl rand -base64 32`)';

export function parseCodecEnv(env: Env): { codec?: CodecConfig; problems: string[] } {
  const mode = (env.TEMPORAL_CODEC ?? 'on').toLowerCase();
  const inline = env.TEMPORAL_CODEC_KEYS;
  const file = env.TEMPORAL_CODEC_KEYS_FILE;
  if (mode !== 'on' && mode !== 'off') return { problems: ['TEMPORAL_CODEC must be "on" (the default: payloads encrypted) or "off"'] };
  if (mode === 'off') {
    // Keys given with encryption off are a contradiction worth a word, not a silent cleartext run.
    if (inline !== undefined || file !== undefined) return { problems: ['TEMPORAL_CODEC is "off" but TEMPORAL_CODEC_KEYS(_FILE) is set: unset one of them'] };
    return { codec: { mode: 'off' }, problems: [] };
  }
  if (inline !== undefined && file !== undefined) return { problems: ['TEMPORAL_CODEC_KEYS and TEMPORAL_CODEC_KEYS_FILE are both set: use one'] };
  if (inline === undefined && file === undefined) {
    return {
      problems: [
        `TEMPORAL_CODEC_KEYS is required: payloads are encrypted by default; ${KEYS_HINT}, or name a file in TEMPORAL_CODEC_KEYS_FILE, ` +
          'or set TEMPORAL_CODEC=off to store them in cleartext (development only)',
      ],
    };
  }
  let text: string;
  if (inline !== undefined) {
    text = inline;
  } else {
    try {
      text = readFileSync(file as string, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return { problems: [`TEMPORAL_CODEC_KEYS_FILE ${JSON.stringify(file)} cannot be read (${code})`] };
    }
  }
  const source = inline !== undefined ? 'TEMPORAL_CODEC_KEYS' : 'TEMPORAL_CODEC_KEYS_FILE';
  const { ring, problems } = parseKeyRing(text, source);
  return ring ? { codec: { mode: 'on', keyRing: ring }, problems: [] } : { problems };
}
