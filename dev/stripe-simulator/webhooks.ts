/**
 * Signed webhook delivery, like Stripe's: POST the event JSON with
 * `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, so
 * `stripe.webhooks.constructEvent(body, header, secret)` accepts it. Each event is delivered
 * independently (order is not guaranteed) and retried on failure, so receivers see at-least-once.
 */
import { createHmac } from 'node:crypto';
import type Stripe from 'stripe';
import type { EventRequest, EventSink, PaymentIntentEventType } from './context';
import { nowUnix } from './objects';
import { stripeId } from './random';
import type { WebhookConfig } from './types';

/** The API version the simulator claims (the one stripe@23 pins). */
export const API_VERSION = '2026-10-28.endive';

export type PaymentIntentEvent = Extract<Stripe.Event, { type: PaymentIntentEventType }>;

export function signatureHeader(payload: string, secret: string, timestamp = nowUnix()): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export interface DeliveryRecord {
  eventId: string;
  type: string;
  attempts: number;
  delivered: boolean;
  lastStatus: number | null;
}

export class WebhookDispatcher implements EventSink {
  private readonly events: PaymentIntentEvent[] = [];
  private readonly deliveries = new Map<string, DeliveryRecord>();
  private readonly pending = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly config: () => WebhookConfig | null,
    private readonly log: (line: string) => void,
  ) {}

  paymentIntent(type: PaymentIntentEventType, intent: Stripe.PaymentIntent, request: EventRequest): void {
    // One cast: TypeScript cannot narrow a union of event types from a generic `type` value.
    const event = {
      id: stripeId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: nowUnix(),
      data: { object: intent },
      livemode: false,
      pending_webhooks: this.config() ? 1 : 0,
      request,
      type,
    } as PaymentIntentEvent;
    this.events.push(event);
    const target = this.config();
    if (!target) return;
    const p = this.deliver(event, target).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Every event emitted since the last reset, oldest first. */
  list(): PaymentIntentEvent[] {
    return this.events.map((e) => structuredClone(e));
  }

  deliveryLog(): DeliveryRecord[] {
    return [...this.deliveries.values()].map((d) => ({ ...d }));
  }

  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  clear(): void {
    this.events.length = 0;
    this.deliveries.clear();
  }

  close(): void {
    this.abort.abort();
  }

  private async deliver(event: PaymentIntentEvent, target: WebhookConfig): Promise<void> {
    // Unseeded on purpose: a receiver must cope with any order and any duplicate.
    const wait = (target.delayMs ?? 0) + Math.random() * (target.jitterMs ?? 0);
    if (wait > 0) await sleep(wait, this.abort.signal);
    const delivered = await this.deliverOnce(event, target);
    if (delivered && Math.random() < (target.duplicateRate ?? 0)) {
      await sleep(Math.random() * (target.jitterMs ?? 0), this.abort.signal);
      this.log(`webhook ${event.type} ${event.id} delivered again (duplicate)`);
      await this.deliverOnce(event, target);
    }
  }

  private async deliverOnce(event: PaymentIntentEvent, target: WebhookConfig): Promise<boolean> {
    const payload = JSON.stringify(event, null, 2);
    const record: DeliveryRecord = { eventId: event.id, type: event.type, attempts: 0, delivered: false, lastStatus: null };
    this.deliveries.set(event.id, record);
    const maxAttempts = target.maxAttempts ?? 3;
    for (let attempt = 1; attempt <= maxAttempts && !this.abort.signal.aborted; attempt++) {
      record.attempts = attempt;
      try {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': signatureHeader(payload, target.secret) },
          body: payload,
          signal: this.abort.signal,
        });
        record.lastStatus = res.status;
        await res.arrayBuffer(); // drain, so the connection can be reused
        if (res.ok) {
          record.delivered = true;
          this.log(`webhook ${event.type} ${event.id} -> ${res.status}`);
          return true;
        }
      } catch {
        record.lastStatus = null;
      }
      this.log(`webhook ${event.type} ${event.id} attempt ${attempt} failed (${record.lastStatus ?? 'network error'})`);
      if (attempt < maxAttempts) await sleep((target.retryDelayMs ?? 500) * 2 ** (attempt - 1), this.abort.signal);
    }
    return false;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
