/**
 * Re-seeding deletes the demo's invoices: their 3-D Secure follow-ups (`invoice-<id>-auth-<attempt>`)
 * would go on reminding about invoices that no longer exist. End them first, through Temporal.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { RowDataPacket } from 'mysql2/promise';
import type { Pool } from '../../src/db/pool';
import { authenticationFollowUpId } from '../../src/workflows/authentication-follow-up';

/** Terminates every running follow-up of an attempt in the database; returns the ids it ended. */
export async function endDemoFollowUps(db: Pool, client: Client): Promise<string[]> {
  const [attempts] = await db.query<RowDataPacket[]>(
    // Every attempt, not only those still requires_auth: a settled or expired follow-up is simply not found.
    'SELECT invoice_id, attempt_number FROM payment_attempt ORDER BY invoice_id, attempt_number',
  );
  const ended: string[] = [];
  for (const a of attempts) {
    const workflowId = authenticationFollowUpId(Number(a.invoice_id), Number(a.attempt_number));
    try {
      await client.workflow.getHandle(workflowId).terminate('demo re-seeded: the invoice no longer exists');
      ended.push(workflowId);
    } catch (err) {
      // Never started, already finished (settled or expired) or already ended by an earlier re-seed.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return ended;
}
