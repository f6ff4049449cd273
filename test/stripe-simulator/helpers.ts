/** Shared helpers: the simulator is driven only through the official SDK (plus fetch for /_sim). */
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { startStripeSimulator, type SimulatorOptions, type StripeSimulator } from '../../dev/stripe-simulator';

export const KEY = 'sk_test_simulator';

export function client(sim: StripeSimulator, key = KEY, timeout?: number): Stripe {
  return new Stripe(key, {
    host: '127.0.0.1',
    port: sim.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
    ...(timeout !== undefined ? { timeout } : {}),
  });
}

/** Starts a simulator for a `describe` block and closes it afterwards. */
export function useSimulator(options: SimulatorOptions = {}): { sim: () => StripeSimulator; stripe: () => Stripe } {
  let sim: StripeSimulator | undefined;
  let stripe: Stripe | undefined;
  before(async () => {
    sim = await startStripeSimulator({ port: 0, seed: 42, ...options });
    stripe = client(sim);
  });
  after(async () => {
    await sim?.close();
  });
  return {
    sim: () => sim as StripeSimulator,
    stripe: () => stripe as Stripe,
  };
}

type ErrorClass = new (...args: never[]) => Stripe.errors.StripeError;

/** Awaits a rejection and checks it is the SDK error class we expect; returns it for field checks. */
export async function rejectsWith<E extends Stripe.errors.StripeError>(
  promise: Promise<unknown>,
  cls: ErrorClass & (new (...args: never[]) => E),
): Promise<E> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    return err as E;
  }
  assert.fail(`expected ${cls.name}, but the call succeeded`);
}

export async function admin<T>(sim: StripeSimulator, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  assert.equal(res.status, 200, `admin ${method} ${path} answered ${res.status}`);
  return (await res.json()) as T;
}

/** A raw form POST, for checks the SDK cannot express (headers, exact bytes). */
export async function rawPost(
  sim: StripeSimulator,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let counter = 0;
/** A fresh idempotency key per call. */
export function newKey(label = 'k'): string {
  counter += 1;
  return `${label}-${process.pid}-${Date.now()}-${counter}`;
}

export const { StripeCardError, StripeInvalidRequestError, StripeAuthenticationError, StripePermissionError } = Stripe.errors;
export const { StripeRateLimitError, StripeAPIError, StripeIdempotencyError, StripeConnectionError } = Stripe.errors;
