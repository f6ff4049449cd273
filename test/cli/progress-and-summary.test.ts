import { strict as assert } from 'node:assert';
import { formatSummary } from '../../src/cli/print-summary';
import { progressLine } from '../../src/cli/run-command';
import { emptyTally } from '../../src/workflows/run-summary';
import type { ChargeRunProgress, ChargeRunSummary } from '../../src/workflows/charge-pending-invoices';

const progress = (p: Partial<ChargeRunProgress>): ChargeRunProgress => ({
  phase: 'due', found: 0, processed: 0, inFlight: 0, concurrency: 75, totals: emptyTally().totals, dryRun: false, ...p,
});

describe('progress line and summary wording', () => {
  it('says what the run waits for, and never shows 0/0 as progress', () => {
    assert.equal(progressLine(undefined, 'invoice-charging'), 'waiting for a worker on task queue "invoice-charging" to pick up the run');
    assert.equal(progressLine(progress({ phase: 'recover' }), 'q'), 'resolving claims of closed runs · no invoices found yet');
    assert.doesNotMatch(progressLine(progress({}), 'q'), /0\/0/);
    assert.equal(
      progressLine(progress({ phase: 'retry', found: 4, processed: 1, inFlight: 3, totals: { ...emptyTally().totals, paid: 1 } }), 'q'),
      'charging due dunning retries · paid 1 · failed 0 · requires_auth 0 · skipped 0 · 3 in flight',
    );
    assert.equal(progressLine(progress({ dryRun: true, found: 2, totals: { ...emptyTally().totals, would_charge: 2 } }), 'q'), 'listing what would be charged · would charge 2 · skipped 0');
  });

  it('uses singular and plural forms', () => {
    const summary = (first: number, retries: number, found: number): ChargeRunSummary => ({
      ...emptyTally(), found, processed: found, attempts: { first, retries }, dryRun: false, concurrency: 75,
      asOf: '2026-12-01T00:00:00.000Z', startedAt: '', finishedAt: '', continuedAsNew: 0,
    });
    assert.match(formatSummary(summary(1, 1, 1)), /1 of 1 invoice processed[\s\S]*charges sent: 1 first attempt, 1 retry$/m);
    assert.match(formatSummary(summary(2, 0, 2)), /2 of 2 invoices processed[\s\S]*charges sent: 2 first attempts, 0 retries$/m);
  });
});
