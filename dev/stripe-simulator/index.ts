/** Stripe API simulator for tests and local runs. See README.md in this directory. */
export { startStripeSimulator } from './server';
export { DEFAULT_API_KEY } from './simulator';
export { TEST_PAYMENT_METHODS, testPaymentMethod, type TestPaymentMethod, type ChargeOutcome } from './test-cards';
export { signatureHeader, API_VERSION } from './webhooks';
export { maskKey } from './auth';
export type {
  CreateCustomerInput,
  DeclineCapConfig,
  LockTimeoutConfig,
  RateLimitConfig,
  SimulatorConfigPatch,
  FaultConfig,
  FaultKind,
  LatencyConfig,
  LatencyDistribution,
  LedgerEntry,
  RequestLogEntry,
  SimulatorOptions,
  SimulatorRuntimeConfig,
  SimulatorStats,
  StripeSimulator,
  WebhookConfig,
} from './types';
export { FAULT_KINDS } from './types';
export { STRIPE_RATE_LIMITS, DEFAULT_DECLINE_CAPS } from './simulator';
export { ENDPOINT_NAMES } from './routes';
