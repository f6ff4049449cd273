/** What is known about an invoice awaiting 3-D Secure: read by src/db, told by src/notify. */
export interface AuthenticationFacts {
  invoiceId: number;
  customerId: number | null;
  stripeCustomerId: string | null;
  paymentIntentId: string;
  amountCents: number | null;
  currency: string;
  expiresAt: Date | null;
}
