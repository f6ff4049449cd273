/**
 * Token bucket: refills `ratePerSecond` tokens per second, holds at most `ratePerSecond` (the
 * burst), and never less than one token (so a rate below 1/s still lets one request through).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = Math.max(1, ratePerSecond);
    this.last = this.now();
  }

  private get capacity(): number {
    return Math.max(1, this.ratePerSecond);
  }

  /** Changes the rate; the bucket keeps its tokens, capped at the new burst. */
  setRate(ratePerSecond: number): void {
    this.refill();
    this.ratePerSecond = ratePerSecond;
    this.tokens = Math.min(this.tokens, this.capacity);
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether a token is there (without taking it). */
  available(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  /** Milliseconds until one token is available (0 when one is). */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
  }

  /** Full bucket (reset()). */
  fill(): void {
    this.tokens = this.capacity;
    this.last = this.now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
  }
}

/** Stripe's live/test split: `sk_live_…` / `rk_live_…` keys are live mode, everything else test mode. */
export type KeyMode = 'live' | 'test';

export function keyMode(apiKey: string): KeyMode {
  return /^[a-z]{2}_live_/.test(apiKey) ? 'live' : 'test';
}

/** The limits in force; see types.ts RateLimitConfig. */
export interface ResolvedRateLimits {
  livePerSecond: number;
  testPerSecond: number;
  /** null: no per-endpoint limits (the legacy single-bucket model). */
  endpointPerSecond: number | null;
  endpoints: Record<string, number>;
}

export type RateLimitVerdict = { ok: true } | { ok: false; scope: 'global' | 'endpoint'; retryAfterMs: number };

/**
 * Stripe's limiters: one global bucket per mode (100/s live, 25/s test) and, on top, one bucket
 * per named operation per mode (25/s by default; `endpoints` overrides single operations). A
 * request needs a token from both; a refused request takes none.
 */
export class RateLimiter {
  private readonly global = new Map<KeyMode, TokenBucket>();
  private readonly perEndpoint = new Map<string, TokenBucket>();

  constructor(
    private limits: ResolvedRateLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  setLimits(limits: ResolvedRateLimits): void {
    this.limits = limits;
    for (const [mode, bucket] of this.global) bucket.setRate(this.globalRate(mode));
    for (const [id, bucket] of this.perEndpoint) {
      const rate = this.endpointRate(id.slice(id.indexOf(' ') + 1));
      if (rate === null) this.perEndpoint.delete(id);
      else bucket.setRate(rate);
    }
  }

  reset(): void {
    this.global.clear();
    this.perEndpoint.clear();
  }

  private globalRate(mode: KeyMode): number {
    return mode === 'live' ? this.limits.livePerSecond : this.limits.testPerSecond;
  }

  private endpointRate(endpoint: string): number | null {
    return this.limits.endpoints[endpoint] ?? this.limits.endpointPerSecond;
  }

  tryTake(mode: KeyMode, endpoint: string): RateLimitVerdict {
    let g = this.global.get(mode);
    if (!g) {
      g = new TokenBucket(this.globalRate(mode), this.now);
      this.global.set(mode, g);
    }
    const rate = this.endpointRate(endpoint);
    let e: TokenBucket | undefined;
    if (rate !== null) {
      const id = `${mode} ${endpoint}`;
      e = this.perEndpoint.get(id);
      if (!e) {
        e = new TokenBucket(rate, this.now);
        this.perEndpoint.set(id, e);
      }
    }
    if (!g.available()) return { ok: false, scope: 'global', retryAfterMs: g.msUntilToken() };
    if (e && !e.available()) return { ok: false, scope: 'endpoint', retryAfterMs: e.msUntilToken() };
    g.tryTake();
    e?.tryTake();
    return { ok: true };
  }
}
