/**
 * API-key authentication as Stripe does it: `Authorization: Bearer <key>`, or HTTP Basic with the
 * key as the user name. Keys only ever appear masked in errors and logs.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './errors';

/** `sk_test_abcdef1234` → `sk_test_****1234` (prefix and last four, as in Stripe's messages). */
export function maskKey(key: string): string {
  const prefix = /^[a-z]{2,4}_(?:test_|live_)?/.exec(key)?.[0] ?? '';
  const rest = key.slice(prefix.length);
  return rest.length > 4 ? `${prefix}****${rest.slice(-4)}` : `${prefix}****`;
}

export function extractKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const user = decoded.split(':', 1)[0];
    return user || undefined;
  }
  return undefined;
}

const NO_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

export const SIMULATED_ACCOUNT = 'acct_1SimulatorStripe0';

/** Returns the key, or throws the 401/403 Stripe would answer. Never stored for idempotency. */
export function authenticate(
  headers: IncomingHttpHeaders,
  apiKeys: ReadonlySet<string>,
  restrictedKeys: ReadonlySet<string>,
): string {
  const key = extractKey(headers);
  if (!key) throw new ApiError(401, { type: 'invalid_request_error', message: NO_KEY }, 'dont-store');
  if (restrictedKeys.has(key)) {
    throw new ApiError(
      403,
      {
        type: 'invalid_request_error',
        message:
          `The provided key '${maskKey(key)}' does not have the required permissions for this endpoint on account ` +
          `'${SIMULATED_ACCOUNT}'. Having the 'rak_payment_intent_write' permission would allow this request to continue.`,
      },
      'dont-store',
    );
  }
  if (!apiKeys.has(key)) {
    throw new ApiError(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${maskKey(key)}` }, 'dont-store');
  }
  return key;
}
