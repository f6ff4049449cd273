/**
 * Stripe's form encoding: `metadata[invoice_id]=123`, `expand[0]=latest_charge`, `expand[]=x`.
 * A small bracket parser over URLSearchParams, so the project needs no `qs` dependency.
 */

export type ParamValue = string | ParamMap | ParamValue[];
export interface ParamMap {
  [key: string]: ParamValue;
}

/** Splits `a[b][0]` into ['a', 'b', '0']; a malformed key is taken literally. */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  const re = /\[([^\][]*)\]/gy;
  re.lastIndex = open;
  let m: RegExpExecArray | null;
  let end = open;
  while ((m = re.exec(key)) !== null) {
    parts.push(m[1] ?? '');
    end = re.lastIndex;
  }
  return end === key.length ? parts : [key];
}

function isMap(v: ParamValue | undefined): v is ParamMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects whose keys are all array indices become arrays, as Stripe reads `x[0]=…&x[1]=…`. */
function normalise(v: ParamValue): ParamValue {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(normalise);
  const keys = Object.keys(v);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((i) => normalise(v[String(i)]));
  }
  const out: ParamMap = {};
  for (const k of keys) out[k] = normalise(v[k]);
  return out;
}

export function parseForm(body: string | URLSearchParams): ParamMap {
  const search = typeof body === 'string' ? new URLSearchParams(body) : body;
  const root: ParamMap = {};
  for (const [rawKey, value] of search) {
    const parts = splitKey(rawKey);
    let node: ParamMap = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i];
      let child = node[part];
      if (!isMap(child)) {
        child = {};
        node[part] = child;
      }
      node = child;
    }
    let last = parts[parts.length - 1];
    if (last === '' && parts.length > 1) last = String(Object.keys(node).length); // `x[]=` appends
    node[last] = value;
  }
  return normalise(root) as ParamMap;
}

/** Key-order-independent serialisation: the idempotency layer compares parameters, not bytes. */
export function canonicalParams(v: ParamValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalParams).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalParams(v[k])}`).join(',')}}`;
}

export function getString(params: ParamMap, key: string): string | undefined {
  const v = params[key];
  return typeof v === 'string' ? v : undefined;
}

export function getMap(params: ParamMap, key: string): ParamMap | undefined {
  const v = params[key];
  return isMap(v) ? v : undefined;
}

/** Flattens a metadata hash to strings; nested values are rejected by the caller's validation. */
export function stringRecord(map: ParamMap | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!map) return out;
  for (const [k, v] of Object.entries(map)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out;
}
