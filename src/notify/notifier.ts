/** Where authentication notifications go: a signed outbound webhook, and the log. */
import { createHmac } from 'node:crypto';
import type { AuthenticationNotification } from './notification';

export interface Notifier {
  send(notification: AuthenticationNotification): Promise<void>;
}

export const SIGNATURE_HEADER = 'Invoice-Charging-Signature';

/** Same scheme as Stripe's: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signPayload(body: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export function webhookNotifier(options: { url: string; secret: string; timeoutMs?: number }): Notifier {
  return {
    async send(notification) {
      const body = JSON.stringify(notification);
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          [SIGNATURE_HEADER]: signPayload(body, options.secret, Math.floor(Date.now() / 1000)),
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      // A non-2xx answer is retried by Temporal (the activity fails), like Stripe's own deliveries.
      if (!response.ok) throw new Error(`notification endpoint answered ${response.status}`);
    },
  };
}

export function logNotifier(log: (message: string, meta: Record<string, unknown>) => void): Notifier {
  return {
    send(n) {
      log(`${n.type}: ${n.action}`, { invoiceId: n.invoice_id, paymentIntentId: n.payment_intent_id, notificationId: n.id });
      return Promise.resolve();
    },
  };
}

export function allOf(...notifiers: Notifier[]): Notifier {
  return {
    async send(n) {
      for (const notifier of notifiers) await notifier.send(n);
    },
  };
}
