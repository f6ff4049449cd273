/**
 * Stripe's idempotency layer (https://stripe.com/docs/api/idempotent_requests):
 * - keys are scoped per API key (account + mode) and bound to method, path and exact parameters;
 * - the first response produced after execution began is stored and replayed byte for byte,
 *   500s included, with `Idempotent-Replayed: true`;
 * - the same key with other parameters is a 400 `idempotency_error`;
 * - the same key while the first request still runs is a 409 `idempotency_key_in_use`;
 * - validation failures, 401/403 and 429s never reach this layer, so nothing is stored for them;
 * - keys expire after the retention period; a later reuse runs as a new request.
 */
import { ApiError } from './errors';

export const MAX_KEY_LENGTH = 255;

export interface StoredResponse {
  status: number;
  body: string;
  /** Headers that belong to the stored answer (e.g. Stripe-Should-Retry on a 500). */
  headers: Record<string, string>;
}

export interface IdempotencyEntry {
  readonly id: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly createdAt: number;
  /** The Request-Id of the request that executed; replays report it as `Original-Request`. */
  readonly originalRequestId: string;
  /** Set once execution produced a storable answer. */
  response?: StoredResponse;
  /** True until the first answer has been written (a held slowResponse keeps the key in flight). */
  inFlight: boolean;
}

export type BeginResult =
  | { kind: 'execute'; entry: IdempotencyEntry }
  | { kind: 'replay'; entry: IdempotencyEntry & { response: StoredResponse } }
  | { kind: 'in_use' }
  | { kind: 'mismatch' };

export function keyLengthError(key: string): ApiError | undefined {
  if (key.length >= 1 && key.length <= MAX_KEY_LENGTH) return undefined;
  return new ApiError(
    400,
    {
      type: 'invalid_request_error',
      message:
        `Idempotent key length is ${key.length}, which is outside accepted lengths. Idempotent Keys must be 1-255 ` +
        "characters long. If you're looking for a decent generator, try using a UUID defined by IETF RFC 4122.",
    },
    'dont-store',
  );
}

export function mismatchError(key: string): ApiError {
  return new ApiError(
    400,
    {
      type: 'idempotency_error',
      message:
        'Keys for idempotent requests can only be used with the same parameters they were first used with. ' +
        `Try using a key other than '${key}' if you meant to execute a different request.`,
    },
    'dont-store',
  );
}

export function inUseError(key: string): ApiError {
  return new ApiError(
    409,
    {
      type: 'invalid_request_error',
      code: 'idempotency_key_in_use',
      doc_url: 'https://stripe.com/docs/error-codes/idempotency-key-in-use',
      message:
        'There is currently another in-progress request using this Idempotent Key (that probably means you ' +
        `submitted twice, and the other request is still going through): ${key}. Please try again later.`,
    },
    'dont-store',
  );
}

export class IdempotencyStore {
  private readonly entries = new Map<string, IdempotencyEntry>();

  constructor(
    private readonly retentionMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Looks the key up and, when the request must execute, marks the key in flight. */
  begin(scope: string, key: string, fingerprint: string, requestId: string): BeginResult {
    const id = `${scope}\u0000${key}`;
    let entry = this.entries.get(id);
    if (entry && !entry.inFlight && this.now() - entry.createdAt >= this.retentionMs()) {
      this.entries.delete(id); // expired: the reuse runs as a new request
      entry = undefined;
    }
    if (!entry) {
      const fresh: IdempotencyEntry = { id, key, fingerprint, createdAt: this.now(), originalRequestId: requestId, inFlight: true };
      this.entries.set(id, fresh);
      return { kind: 'execute', entry: fresh };
    }
    if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (entry.inFlight || !entry.response) return { kind: 'in_use' };
    return { kind: 'replay', entry: entry as IdempotencyEntry & { response: StoredResponse } };
  }

  /** Stores the answer; `inFlight` stays true while a held response has not been written yet. */
  commit(entry: IdempotencyEntry, response: StoredResponse, stillInFlight = false): void {
    if (this.entries.get(entry.id) !== entry) return; // cleared by reset() meanwhile
    entry.response = response;
    entry.inFlight = stillInFlight;
  }

  /** The held answer has been written (or abandoned): retries now replay it. */
  release(entry: IdempotencyEntry): void {
    if (this.entries.get(entry.id) === entry && entry.response) entry.inFlight = false;
  }

  /** Execution never began (validation error, reset before processing): forget the key. */
  abandon(entry: IdempotencyEntry): void {
    if (this.entries.get(entry.id) === entry && !entry.response) this.entries.delete(entry.id);
  }

  /** Drops expired keys; called periodically so a long-running simulator does not grow forever. */
  sweep(): void {
    const now = this.now();
    for (const [id, e] of this.entries) {
      if (!e.inFlight && now - e.createdAt >= this.retentionMs()) this.entries.delete(id);
    }
  }

  size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
