/**
 * The charging run: the original job's steps, made durable, in the order they happen.
 *   1. recover: invoices left `processing` by a run that closed (Temporal says so) or whose lease
 *      expired are resolved with their attempt's own key;
 *   2. list the pending invoices that are due (page by page, ids only);
 *   3. charge each in its own activity, at most `concurrency` at once
 *      (claim → PaymentIntent off-session with the attempt's key → record);
 *   4. retry failed invoices whose dunning retry is due (or whose customer has a new card);
 *   5. return the summary of outcomes.
 * Paging, prefetch and continue-as-new are in charge-run.ts; the per-invoice steps in
 * charge-steps.ts. No I/O here: everything that touches the DB or Stripe is an activity.
 */
import { chargeEach, previewEach } from './charge-steps';
import { forEachPage, openRun, summarize, type ChargeRunInput, type ChargeRunSummary } from './charge-run';

export type { ChargeRunInput, ChargeRunProgress, ChargeRunSummary } from './charge-run';
export { DEFAULTS, progressQuery } from './charge-run';

export async function chargePendingInvoices(input: ChargeRunInput = {}): Promise<ChargeRunSummary> {
  const run = await openRun(input);
  if (run.dryRun) {
    // The same phases as the real run, each previewed from reads only: the real run's plan.
    await forEachPage(run, 'recover', (page) => previewEach(run, page));
    if (input.recoverOnly !== true) {
      await forEachPage(run, 'due', (page) => previewEach(run, page));
      await forEachPage(run, 'retry', (page) => previewEach(run, page));
    }
    return summarize(run);
  }
  await forEachPage(run, 'recover', (page) => chargeEach(run, page));
  if (input.recoverOnly === true) return summarize(run); // a recovery sweep
  await forEachPage(run, 'due', (page) => chargeEach(run, page));
  await forEachPage(run, 'retry', (page) => chargeEach(run, page));
  return summarize(run);
}
