/**
 * Who holds a claim: the charging run named by an invoice's `claim_run_id`
 * (`${workflowId}/${runId}`), asked of Temporal. A closed run cannot come back, so its claims may
 * be resolved at once; a running one keeps them; when Temporal cannot tell, the lease decides.
 */
import { Client, WorkflowNotFoundError, type Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { connectClientConnection, type TemporalConnectionSettings } from './connection';

export type ClaimOwnerState =
  /** The run is open: its claims are its own. */
  | { state: 'running' }
  /** The run ended (completed, failed, terminated, timed out, cancelled, continued as new). */
  | { state: 'closed'; status: string }
  /** Temporal could not say (unreachable, not found, not a run id): the lease applies. */
  | { state: 'unknown'; reason: string };

/** The activity dependency: asks Temporal about the run that holds a claim. */
export type ClaimOwnerLookup = (claimRunId: string) => Promise<ClaimOwnerState>;

export function parseClaimRunId(claimRunId: string): { workflowId: string; runId: string } | undefined {
  // Workflow ids may contain '/'; run ids (UUIDs) do not.
  const slash = claimRunId.lastIndexOf('/');
  if (slash <= 0 || slash === claimRunId.length - 1) return undefined;
  return { workflowId: claimRunId.slice(0, slash), runId: claimRunId.slice(slash + 1) };
}

/** No Temporal to ask (activity tests, tools): every claim waits for its lease, as before. */
export const leaseOnly: ClaimOwnerLookup = () => Promise.resolve({ state: 'unknown', reason: 'no Temporal lookup configured' });

const CLOSED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW', 'TIMED_OUT']);

/** Describes `workflowId/runId` through the client; wired by the worker and the test worker. */
export function temporalClaimOwnerLookup(client: Client): ClaimOwnerLookup {
  return async (claimRunId) => {
    const ids = parseClaimRunId(claimRunId);
    if (!ids) return { state: 'unknown', reason: `not a workflowId/runId: ${claimRunId}` };
    try {
      const described = await client.workflow.getHandle(ids.workflowId, ids.runId).describe();
      const status = described.status.name;
      if (CLOSED.has(status)) return { state: 'closed', status };
      if (status === 'RUNNING' || status === 'PAUSED') return { state: 'running' };
      return { state: 'unknown', reason: `run status ${status}` };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { state: 'unknown', reason: 'run not found in this namespace' };
      return { state: 'unknown', reason: err instanceof Error ? err.message : String(err) };
    }
  };
}

/** One lookup per owner within a listing or a report. */
export function cachedLookup(lookup: ClaimOwnerLookup): ClaimOwnerLookup {
  const seen = new Map<string, Promise<ClaimOwnerState>>();
  return (claimRunId) => {
    let answer = seen.get(claimRunId);
    if (!answer) {
      answer = lookup(claimRunId);
      seen.set(claimRunId, answer);
    }
    return answer;
  };
}

/** The worker's own client for the lookups (the worker's NativeConnection cannot serve a Client). */
export async function connectClaimOwnerLookup(
  settings: TemporalConnectionSettings, dataConverter: DataConverter,
): Promise<{ lookup: ClaimOwnerLookup; connection: Connection; close: () => Promise<void> }> {
  // Same profile, TLS and codec as the worker: describe() decodes the run's memo.
  const connection = await connectClientConnection(settings);
  return { lookup: temporalClaimOwnerLookup(new Client({ connection, namespace: settings.namespace, dataConverter })), connection, close: () => connection.close() };
}
