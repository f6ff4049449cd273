/**
 * A verified event: store it once by id, then hand it to Temporal. Only when both succeeded is
 * the answer 200; otherwise 500, and Stripe's redelivery repeats both harmlessly.
 */
import type Stripe from 'stripe';
import type { Db } from '../db/sql';
import { storeStripeEvent } from '../db/settlements';
import { SETTLEMENT_EVENT_TYPES } from '../shared';
import type { StartProcessing } from './start-processing';

export interface ReceiveDeps {
  db: Db;
  startProcessing: StartProcessing;
  clock: () => Date;
  log: (line: string) => void;
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

const EVENT_ID = /^evt_[A-Za-z0-9_]{1,200}$/;

export async function receiveEvent(deps: ReceiveDeps, event: Stripe.Event, rawBody: Buffer): Promise<Reply> {
  if (typeof event.id !== 'string' || !EVENT_ID.test(event.id) || typeof event.type !== 'string') {
    return { status: 400, body: { error: 'not a Stripe event' } };
  }
  const acted = SETTLEMENT_EVENT_TYPES.includes(event.type);
  const now = deps.clock();
  try {
    await storeStripeEvent(deps.db, {
      id: event.id,
      type: event.type.slice(0, 128),
      paymentIntentId: paymentIntentIdOf(event),
      payload: rawBody.toString('utf8'),
      receivedAt: now,
      // Types we do not act on are stored as handled: nothing will process them.
      ...(!acted && { processedAt: now, result: JSON.stringify({ action: 'ignored', reason: 'type_not_handled' }) }),
    });
  } catch (err) {
    deps.log(`webhook ${event.id} ${event.type}: not stored (${errorText(err)}): answering 500 so Stripe retries`);
    return { status: 500, body: { error: 'could not store the event; retry later' } };
  }
  if (!acted) {
    deps.log(`webhook ${event.id} ${event.type}: stored, not acted on`);
    return { status: 200, body: { received: true, ignored: true } };
  }
  try {
    const started = await deps.startProcessing({ id: event.id, type: event.type });
    deps.log(`webhook ${event.id} ${event.type}: stored, processing ${started === 'started' ? 'started' : 'already started (duplicate delivery)'}`);
    return { status: 200, body: { received: true, ...(started === 'already_started' && { duplicate: true }) } };
  } catch (err) {
    deps.log(`webhook ${event.id} ${event.type}: stored, but processing could not be started (${errorText(err)}): answering 500 so Stripe retries`);
    return { status: 500, body: { error: 'could not start processing; retry later' } };
  }
}

function paymentIntentIdOf(event: Stripe.Event): string | null {
  const object = event.data?.object as { object?: unknown; id?: unknown } | undefined;
  return object?.object === 'payment_intent' && typeof object.id === 'string' ? object.id.slice(0, 255) : null;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
