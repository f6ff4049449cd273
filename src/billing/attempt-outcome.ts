/**
 * The attempt state machine: the outcomes stored in payment_attempt.outcome and how an attempt
 * may move between them. Written only by src/db/transitions.ts, whose WHERE clauses use these
 * from-lists. An attempt is created in_flight (sent to Stripe) or already finished (decided
 * without Stripe); `paid`, `skipped` and `released` are final.
 */
export const ATTEMPT_OUTCOMES = ['in_flight', 'paid', 'requires_auth', 'failed', 'processing', 'skipped', 'released'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export const ATTEMPT_TRANSITIONS = {
  /** The charge's own answer from Stripe; 'released': the claim was given back without a charge. */
  resolve: { from: ['in_flight', 'processing'], to: ['paid', 'requires_auth', 'failed', 'processing', 'skipped', 'released'] },
  /** A succeeded PaymentIntent reported by Stripe (webhook), over a decline or 3-D Secure included. */
  settlePaid: { from: ['in_flight', 'processing', 'requires_auth', 'failed'], to: ['paid'] },
  /** A failed PaymentIntent reported by Stripe. */
  settleFailed: { from: ['in_flight', 'processing', 'requires_auth'], to: ['failed'] },
} as const satisfies Record<string, { from: readonly AttemptOutcome[]; to: readonly AttemptOutcome[] }>;

/** The outcomes an attempt is created with: in flight to Stripe, or decided without it. */
export const ATTEMPT_INITIAL_OUTCOMES = ['in_flight', 'failed', 'skipped'] as const satisfies readonly AttemptOutcome[];

export type AttemptTransitionName = keyof typeof ATTEMPT_TRANSITIONS;

export function canAttemptTransition(from: AttemptOutcome, to: AttemptOutcome): boolean {
  return Object.values(ATTEMPT_TRANSITIONS).some(
    (t: { from: readonly AttemptOutcome[]; to: readonly AttemptOutcome[] }) => t.from.includes(from) && t.to.includes(to),
  );
}

export function isAttemptOutcome(value: unknown): value is AttemptOutcome {
  return typeof value === 'string' && (ATTEMPT_OUTCOMES as readonly string[]).includes(value);
}

/** A finished attempt whose outcome a retry of the same run reports again. */
export const REPORTED_OUTCOMES = ['paid', 'requires_auth', 'failed'] as const satisfies readonly AttemptOutcome[];
