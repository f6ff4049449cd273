/** Artificial latency drawn from the seeded PRNG. */
import type { Prng } from './random';
import type { LatencyConfig } from './types';

export const NO_LATENCY: LatencyConfig = { distribution: 'fixed', meanMs: 0 };

export function validateLatency(l: LatencyConfig): void {
  if (!['fixed', 'uniform', 'normal'].includes(l.distribution)) {
    throw new Error("latency.distribution must be 'fixed', 'uniform' or 'normal'");
  }
  for (const f of ['meanMs', 'minMs', 'maxMs', 'stdDevMs'] as const) {
    const v = l[f];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`latency.${f} must be a non-negative number`);
  }
}

/** Milliseconds of artificial latency for one request. */
export function drawLatency(l: LatencyConfig, prng: Prng): number {
  const min = l.minMs ?? 0;
  let ms: number;
  switch (l.distribution) {
    case 'fixed':
      ms = l.meanMs;
      break;
    case 'uniform': {
      const max = l.maxMs ?? 2 * l.meanMs;
      ms = min + prng.next() * Math.max(0, max - min);
      break;
    }
    case 'normal':
      ms = l.meanMs + prng.normal() * (l.stdDevMs ?? l.meanMs / 4);
      break;
  }
  return Math.max(min, Math.min(l.maxMs ?? Infinity, ms));
}
