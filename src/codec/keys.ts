/**
 * The key ring: every AES-256 key this process may decrypt with, by id; the first one encrypts.
 * Old keys stay in the ring after a rotation so that histories written with them stay readable.
 * Key bytes are non-enumerable: logging or serialising a ring shows the ids only.
 */
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_BYTES = 32;

export class KeyRing {
  private readonly keys = new Map<string, Buffer>();
  /** The id new payloads are encrypted with. */
  readonly activeKeyId: string;

  constructor(entries: ReadonlyArray<{ id: string; key: Buffer }>) {
    if (entries.length === 0) throw new Error('a key ring needs at least one key');
    for (const { id, key } of entries) {
      if (key.length !== KEY_BYTES) throw new Error(`key "${id}" must be ${KEY_BYTES} bytes`);
      this.keys.set(id, key);
    }
    this.activeKeyId = entries[0].id;
    Object.defineProperty(this, 'keys', { enumerable: false });
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  key(id: string): Buffer | undefined {
    return this.keys.get(id);
  }

  toJSON(): { activeKeyId: string; ids: string[] } {
    return { activeKeyId: this.activeKeyId, ids: this.ids };
  }
}

/**
 * `id:key` entries separated by commas or new lines (`#` starts a comment); each key is 32 bytes
 * as base64 (`openssl rand -base64 32`) or 64 hex digits. Problems name the entry by position
 * and id, never the key material.
 */
export function parseKeyRing(text: string, source: string): { ring?: KeyRing; problems: string[] } {
  const problems: string[] = [];
  const entries: Array<{ id: string; key: Buffer }> = [];
  const items = text.split(/[\n,]/).map((line) => line.replace(/#.*$/, '').trim()).filter(Boolean);
  items.forEach((item, i) => {
    const sep = item.indexOf(':');
    const id = sep > 0 ? item.slice(0, sep).trim() : '';
    const material = sep > 0 ? item.slice(sep + 1).trim() : '';
    const where = `${source} entry ${i + 1}`;
    if (!KEY_ID_PATTERN.test(id)) {
      problems.push(`${where} must be <key id>:<key>, the id made of letters, digits, '.', '_' or '-' (at most 64)`);
      return;
    }
    const key = decodeKey(material);
    if (!key) {
      problems.push(`${where} (key "${id}") must be ${KEY_BYTES} bytes as base64 or 64 hex digits, e.g. from \`openssl rand -base64 32\``);
      return;
    }
    if (entries.some((e) => e.id === id)) {
      problems.push(`${where}: key id "${id}" is given twice`);
      return;
    }
    entries.push({ id, key });
  });
  if (items.length === 0) problems.push(`${source} has no keys`);
  return problems.length > 0 ? { problems } : { ring: new KeyRing(entries), problems };
}

function decodeKey(material: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(material)) return Buffer.from(material, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(material)) return undefined;
  const key = Buffer.from(material.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}
