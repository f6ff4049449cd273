import type Stripe from 'stripe';

/** The `error` object of a Stripe v1 error response, typed against the SDK's own shape. */
export type StripeErrorBody = Omit<Stripe.PaymentIntent.LastPaymentError, 'type' | 'message'> & {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  message: string;
};

/** Whether the idempotency layer stores the answer (see README: "what gets stored"). */
export type Storage = 'store' | 'dont-store';

/**
 * Thrown by handlers. `storage` follows Stripe: an error produced after the endpoint began executing
 * (unknown customer, declines, 500s) is stored under the idempotency key; parameter validation
 * failures happen before execution and are not.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly storage: Storage,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
}

export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}

/** 400 from parameter validation: never stored for an idempotency key. */
export function invalidParam(message: string, param?: string, code?: string): ApiError {
  return new ApiError(
    400,
    { type: 'invalid_request_error', message, ...(param ? { param } : {}), ...(code ? { code, doc_url: docUrl(code) } : {}) },
    'dont-store',
  );
}

export function missingParam(param: string): ApiError {
  return invalidParam(`Missing required param: ${param}.`, param, 'parameter_missing');
}

/** 400 produced while executing (e.g. a state or ownership problem): stored, like Stripe. */
export function invalidRequest(message: string, param?: string, code?: string): ApiError {
  return new ApiError(
    400,
    { type: 'invalid_request_error', message, ...(param ? { param } : {}), ...(code ? { code, doc_url: docUrl(code) } : {}) },
    'store',
  );
}

/**
 * `resource_missing`. Stripe answers 400 when the id came in a body parameter and 404 when it is
 * the object in the URL (GET /v1/payment_intents/pi_x); the SDK maps both to StripeInvalidRequestError.
 */
export function resourceMissing(message: string, param: string, status: 400 | 404 = 400): ApiError {
  return new ApiError(
    status,
    { type: 'invalid_request_error', code: 'resource_missing', doc_url: docUrl('resource_missing'), message, param },
    'store',
  );
}

export function apiError500(): ApiError {
  return new ApiError(500, { type: 'api_error', message: 'An unknown error occurred' }, 'store');
}

export function rateLimitError(headers: Record<string, string> = {}): ApiError {
  return new ApiError(
    429,
    {
      type: 'invalid_request_error',
      code: 'rate_limit',
      doc_url: docUrl('rate_limit'),
      message:
        'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
    },
    'dont-store',
    headers,
  );
}

/**
 * 429 `lock_timeout`: another request held the lock on an object this one needs. Stripe marks it
 * retryable (`Stripe-Should-Retry: true`, which stripe-node honours); never stored for the key.
 */
export function lockTimeoutError(): ApiError {
  return new ApiError(
    429,
    {
      type: 'invalid_request_error',
      code: 'lock_timeout',
      doc_url: docUrl('lock_timeout'),
      message:
        'This object cannot be accessed right now because another API request or Stripe process is currently accessing it. ' +
        'If you see this error intermittently, retry the request. If you see this error frequently and are making multiple ' +
        'concurrent requests to a single object, make your requests serially or at a lower rate. See ' +
        'https://stripe.com/docs/rate-limits for more details.',
    },
    'dont-store',
    { 'Stripe-Should-Retry': 'true' },
  );
}

export function unrecognizedUrl(method: string, path: string): ApiError {
  return new ApiError(
    404,
    {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    },
    'dont-store',
  );
}

export function requestLogUrl(requestId: string, createdUnix: number): string {
  return `https://dashboard.stripe.com/test/logs/${requestId}?t=${createdUnix}`;
}
