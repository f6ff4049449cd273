import { strict as assert } from 'node:assert';
import { canTransition, INVOICE_STATUSES } from '../../src/billing/invoice-state';

describe('invoice state machine', () => {
  it('never moves a paid invoice', () => {
    for (const to of INVOICE_STATUSES) assert.equal(canTransition('paid', to), false, `paid → ${to}`);
  });
  it('charges only through a claim (pending → processing)', () => {
    assert.equal(canTransition('pending', 'processing'), true);
    assert.equal(canTransition('pending', 'paid'), false);
    assert.equal(canTransition('processing', 'paid'), true);
  });
  it('lets a late success settle a failed or 3-D Secure invoice', () => {
    assert.equal(canTransition('requires_auth', 'paid'), true);
    assert.equal(canTransition('failed', 'paid'), true);
  });
});
