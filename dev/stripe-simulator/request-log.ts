/**
 * Every /v1 request with when it arrived and when it was answered (wall-clock ms, sub-ms
 * precision), its endpoint, the customer it involves and its idempotency key: lets tests and the
 * bench check timing rules the counters cannot show, e.g. that no two requests for one customer
 * overlap, or that a retry came after the advised Retry-After. Bounded: the oldest entries go first.
 */
export interface RequestLogEntry {
  requestId: string;
  method: string;
  /** Stripe's endpoint name, e.g. `POST /v1/payment_intents`. */
  endpoint: string;
  /** The customer the request names (`customer` parameter), or whose PaymentIntent it writes. */
  customer: string | null;
  idempotencyKey: string | null;
  /** HTTP status, or null when the socket was destroyed. */
  status: number | null;
  /** The error's `code` for 4xx answers (`rate_limit`, `lock_timeout`, …). */
  code: string | null;
  startedAt: number;
  endedAt: number;
}

export const REQUEST_LOG_LIMIT = 100_000;

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > REQUEST_LOG_LIMIT) this.entries.splice(0, this.entries.length - REQUEST_LOG_LIMIT);
  }

  list(): RequestLogEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries = [];
  }
}

/** Wall-clock milliseconds with performance.now()'s precision. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
