/**
 * Token bucket over all /v1 requests of the account: refills `ratePerSecond` tokens per second,
 * holds at most `ratePerSecond` (the burst). Stripe's test mode allows 25 requests per second.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = ratePerSecond;
    this.last = this.now();
  }

  /** Changes the rate; the bucket keeps its tokens, capped at the new burst. */
  setRate(ratePerSecond: number): void {
    this.refill();
    this.ratePerSecond = ratePerSecond;
    this.tokens = Math.min(this.tokens, ratePerSecond);
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Full bucket (reset()). */
  fill(): void {
    this.tokens = this.ratePerSecond;
    this.last = this.now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
  }
}
