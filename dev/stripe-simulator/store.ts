import type Stripe from 'stripe';
import type { TestPaymentMethod } from './test-cards';

export interface PaymentMethodRecord {
  object: Stripe.PaymentMethod;
  /** The test token whose behaviour this payment method has. */
  source: TestPaymentMethod;
  /**
   * Generated from a raw token for one PaymentIntent without being attached: Stripe refuses to
   * reuse such a PaymentMethod.
   */
  consumed: boolean;
}

export interface PaymentIntentRecord {
  object: Stripe.PaymentIntent;
  /** Creation order, to break ties of `created` (seconds) when listing newest first. */
  seq: number;
  /** The key of the request that created it, for the ledger. */
  idempotencyKey?: string;
  /** Kept after a decline, when Stripe clears `payment_method` on the intent. */
  paymentMethod: PaymentMethodRecord | null;
}

/** In-memory objects of one simulated account (test mode). */
export class Store {
  readonly customers = new Map<string, Stripe.Customer>();
  readonly paymentMethods = new Map<string, PaymentMethodRecord>();
  readonly paymentIntents = new Map<string, PaymentIntentRecord>();
  /** Declines sent to the network, by card fingerprint (simulator-clock ms), for the decline caps. */
  readonly declines = new Map<string, number[]>();
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  /** Newest first, as Stripe lists. */
  intentsNewestFirst(filter: (r: PaymentIntentRecord) => boolean): PaymentIntentRecord[] {
    return [...this.paymentIntents.values()]
      .filter(filter)
      .sort((a, b) => b.object.created - a.object.created || b.seq - a.seq);
  }

  clear(): void {
    this.customers.clear();
    this.paymentMethods.clear();
    this.paymentIntents.clear();
    this.declines.clear();
    this.seq = 0;
  }
}
