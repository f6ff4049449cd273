/** Shared by the webhook tests: signed deliveries, the simulator's events, waiting for processing. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RowDataPacket } from 'mysql2/promise';
import Stripe from 'stripe';
import type { StripeEventResult } from '../../src/activities/apply-stripe-event';
import type { Pool } from '../../src/db/pool';
import { stripeEventWorkflowId } from '../../src/webhooks/start-processing';
import type { TestServices } from '../support/services';

export const WEBHOOK_SECRET = 'whsec_test_webhook_secret_0123456789';

export interface Delivery {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs `payload` with the given Stripe-Signature header (none when undefined). */
export async function post(url: string, payload: string, signature: string | undefined): Promise<Delivery> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(signature !== undefined && { 'Stripe-Signature': signature }) },
    body: payload,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Signs like Stripe does (now, or at `timestamp` unix seconds) and delivers. */
export function deliverSigned(url: string, payload: string, options: { secret?: string; timestamp?: number } = {}): Promise<Delivery> {
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET, timestamp: options.timestamp });
  return post(url, payload, header);
}

export type SimEvent = Stripe.Event & { data: { object: Stripe.PaymentIntent } };

/** Every event the simulator emitted since its last reset, oldest first. */
export async function simulatorEvents(s: TestServices): Promise<SimEvent[]> {
  const res = await fetch(`${s.stack.stripe.url}/_sim/events`);
  return (await res.json()) as SimEvent[];
}

export async function eventsFor(s: TestServices, paymentIntentId: string, type?: string): Promise<SimEvent[]> {
  return (await simulatorEvents(s)).filter((e) => e.data.object.id === paymentIntentId && (!type || e.type === type));
}

export async function eventRows(db: Pool): Promise<RowDataPacket[]> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT * FROM stripe_event ORDER BY received_at, id');
  return rows;
}

/** Waits for the processing workflow of each stored, not-yet-ignored event; returns their results. */
export async function awaitProcessing(env: TestWorkflowEnvironment, db: Pool): Promise<Map<string, StripeEventResult>> {
  const rows = (await eventRows(db)).filter((r) => r.type === 'payment_intent.succeeded' || r.type === 'payment_intent.payment_failed');
  const results = new Map<string, StripeEventResult>();
  for (const r of rows) {
    const id = String(r.id);
    results.set(id, await env.client.workflow.getHandle(stripeEventWorkflowId(id)).result() as StripeEventResult);
  }
  return results;
}

/** The event as Stripe would send it again: same id and body, a fresh signature. */
export function payloadOf(event: Stripe.Event): string {
  return JSON.stringify(event, null, 2);
}
