/**
 * Fault injection: a deterministic queue (`next`) first, then one seeded draw per /v1 request
 * against the configured rates. Rates are exclusive slices of [0, 1), so their sum should be ≤ 1.
 */
import type { Prng } from './random';
import { FAULT_KINDS, type FaultConfig, type FaultKind } from './types';

export const DEFAULT_SLOW_RESPONSE_MS = 30_000;

const RATE_ORDER: ReadonlyArray<[keyof FaultConfig, FaultKind]> = [
  ['resetBeforeRate', 'resetBefore'],
  ['rateLimit429Rate', 'rateLimit429'],
  ['error500Rate', 'error500'],
  ['dropAfterCommitRate', 'dropAfterCommit'],
  ['slowResponseRate', 'slowResponse'],
];

const FAULT_CONFIG_KEYS = [...RATE_ORDER.map(([field]) => field), 'slowResponseMs', 'next', 'nextAppliesTo', 'nextPathPrefix'];

export function validateFaultConfig(f: FaultConfig): void {
  for (const key of Object.keys(f)) {
    if (!FAULT_CONFIG_KEYS.includes(key)) throw new Error(`unknown fault setting: ${key}`);
  }
  let sum = 0;
  for (const [field] of RATE_ORDER) {
    const rate = f[field];
    if (rate === undefined) continue;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new Error(`faults.${field} must be a number in [0, 1]`);
    sum += rate;
  }
  if (sum > 1 + 1e-9) throw new Error(`fault rates add up to ${sum}; they must add up to at most 1`);
  if (f.slowResponseMs !== undefined && !(Number.isFinite(f.slowResponseMs) && f.slowResponseMs >= 0)) {
    throw new Error('faults.slowResponseMs must be a non-negative number');
  }
  if (f.next !== undefined) {
    if (!Array.isArray(f.next)) throw new Error('faults.next must be an array');
    for (const k of f.next) if (!FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind in faults.next: ${String(k)}`);
  }
  if (f.nextPathPrefix !== undefined && typeof f.nextPathPrefix !== 'string') throw new Error('faults.nextPathPrefix must be a string');
  if (f.nextAppliesTo !== undefined && f.nextAppliesTo !== 'post' && f.nextAppliesTo !== 'all') {
    throw new Error("faults.nextAppliesTo must be 'post' or 'all'");
  }
}

/** Picks the fault for one request; consumes `config.next` in place. */
export function drawFault(config: FaultConfig, method: string, path: string, prng: Prng): FaultKind {
  const queueApplies =
    ((config.nextAppliesTo ?? 'post') === 'all' || method === 'POST') && path.startsWith(config.nextPathPrefix ?? '');
  if (queueApplies && config.next && config.next.length > 0) return config.next.shift() as FaultKind;
  const anyRate = RATE_ORDER.some(([field]) => ((config[field] as number | undefined) ?? 0) > 0);
  if (!anyRate) return 'none'; // keep the PRNG sequence untouched when faults are off
  const u = prng.next();
  let edge = 0;
  for (const [field, kind] of RATE_ORDER) {
    edge += (config[field] as number | undefined) ?? 0;
    if (u < edge) return kind;
  }
  return 'none';
}
