/** Parameter checks shared by the endpoints; every failure here is a (non-stored) validation 400. */
import { invalidParam } from './errors';
import { getMap, getString, stringRecord, type ParamMap } from './form';

/** Stripe rejects parameters it does not know, which catches typos in the product's requests. */
export function rejectUnknown(params: ParamMap, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(params)) {
    if (!allowed.has(key)) {
      throw invalidParam(`Received unknown parameter: ${key}`, key, 'parameter_unknown');
    }
  }
}

export function optionalString(params: ParamMap, key: string): string | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidParam(`Invalid string: ${key}`, key);
  return v;
}

/** Stripe reads `true`/`false`; anything else is "Invalid boolean". */
export function optionalBoolean(params: ParamMap, key: string): boolean | undefined {
  const v = getString(params, key);
  if (params[key] === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidParam(`Invalid boolean: ${v ?? '(object)'}`, key);
}

/** `off_session` is a boolean or, in newer API versions, `one_off` / `recurring`. */
export function offSessionParam(params: ParamMap): boolean | undefined {
  const v = getString(params, 'off_session');
  if (v === 'one_off' || v === 'recurring') return true;
  return optionalBoolean(params, 'off_session');
}

/** Metadata: at most 50 keys, keys up to 40 characters, string values up to 500 characters. */
export function metadataParam(params: ParamMap, key = 'metadata'): Record<string, string> {
  const raw = params[key];
  if (raw === undefined || raw === '') return {};
  const map = getMap(params, key);
  if (!map) throw invalidParam(`Invalid hash`, key);
  const entries = Object.entries(map);
  if (entries.length > 50) throw invalidParam('Metadata can have up to 50 keys.', key);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw invalidParam(`Invalid value for ${key}[${k}]: must be a string.`, `${key}[${k}]`);
    if (k.length > 40) throw invalidParam(`Metadata keys can have up to 40 characters; "${k}" is too long.`, key);
    if (v.length > 500) throw invalidParam(`Metadata values can have up to 500 characters.`, `${key}[${k}]`);
  }
  return stringRecord(map);
}
