/**
 * At start: every stored event that was never processed gets its workflow (again). Covers an
 * event whose hand-off to Temporal failed and was never redelivered, and a processing run that
 * gave up after its retries. Starting is idempotent: a running workflow is left alone.
 */
import type { Db } from '../db/sql';
import { listUnprocessedStripeEvents } from '../db/settlements';
import type { StartProcessing } from './start-processing';

const RESUME_LIMIT = 1000;

export async function resumeUnprocessedEvents(db: Db, startProcessing: StartProcessing, log: (line: string) => void): Promise<number> {
  const events = await listUnprocessedStripeEvents(db, RESUME_LIMIT);
  let started = 0;
  for (const event of events) {
    try {
      if ((await startProcessing(event)) === 'started') started += 1;
    } catch (err) {
      log(`webhook ${event.id}: could not resume processing (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (started > 0) log(`resumed processing of ${started} stored Stripe event(s)`);
  return started;
}
