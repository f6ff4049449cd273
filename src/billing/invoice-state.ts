/**
 * The invoice state machine, in one place. Each named transition lists the states it moves
 * *from*; src/db/transitions.ts, the only code that writes `invoice.status`, puts exactly these
 * lists in its WHERE clauses, so a transition this table forbids cannot happen even when runs,
 * recovery and webhooks race. `canTransition` is derived from the same table.
 */
export const INVOICE_STATUSES = ['pending', 'processing', 'paid', 'requires_auth', 'failed', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

interface InvoiceTransition {
  readonly from: readonly InvoiceStatus[];
  readonly to: readonly InvoiceStatus[];
}

/**
 * Every way this service moves an invoice. `paid` is final; `void` is set by the business
 * outside this service, and nothing here ever moves a void invoice.
 */
export const INVOICE_TRANSITIONS = {
  /** A run claims a due invoice, or dunning claims a failed one again (new attempt). */
  claim: { from: ['pending', 'failed'], to: ['processing'] },
  /** An attempt decided without Stripe: unchargeable data (failed) or a skip recorded (stays pending). */
  decideWithoutStripe: { from: ['pending'], to: ['failed', 'pending'] },
  /** The same run retrying, or recovery after the lease expired, takes over the claim. */
  renewClaim: { from: ['processing'], to: ['processing'] },
  /** The attempt resolves; 'pending' releases a claim that charged nothing, 'processing' keeps it for settlement. */
  resolveAttempt: { from: ['processing'], to: ['paid', 'requires_auth', 'failed', 'pending', 'processing'] },
  /** A succeeded PaymentIntent reported by Stripe (webhook), a late success included. */
  settlePaid: { from: ['requires_auth', 'processing', 'failed'], to: ['paid'] },
  /** A failed PaymentIntent reported by Stripe; a `failed` invoice keeps its first failure. */
  settleFailed: { from: ['requires_auth', 'processing'], to: ['failed'] },
  /** A dunning retry the card's limit forbids now waits a day longer; the invoice stays failed. */
  postponeRetry: { from: ['failed'], to: ['failed'] },
  /** The customer never finished 3-D Secure. */
  expireAuthentication: { from: ['requires_auth'], to: ['failed'] },
} as const satisfies Record<string, InvoiceTransition>;

export type InvoiceTransitionName = keyof typeof INVOICE_TRANSITIONS;
export type FromState<T extends InvoiceTransitionName> = (typeof INVOICE_TRANSITIONS)[T]['from'][number];
export type ToState<T extends InvoiceTransitionName> = (typeof INVOICE_TRANSITIONS)[T]['to'][number];

export function canTransition(from: InvoiceStatus, to: InvoiceStatus): boolean {
  return Object.values(INVOICE_TRANSITIONS).some(
    (t: InvoiceTransition) => t.from.includes(from) && t.to.includes(to),
  );
}

export function isInvoiceStatus(value: unknown): value is InvoiceStatus {
  return typeof value === 'string' && (INVOICE_STATUSES as readonly string[]).includes(value);
}

/** True when `status` is one of the states the named transition moves from. */
export function movesFrom<T extends InvoiceTransitionName>(transition: T, status: InvoiceStatus): status is FromState<T> {
  return (INVOICE_TRANSITIONS[transition].from as readonly InvoiceStatus[]).includes(status);
}
