/**
 * Looking for a secret in what the system produced: workflow histories (payloads decoded),
 * log files, error messages, database text. A secret can hide in an encoding, so each text is
 * searched for the key itself and for its base64 and URL-encoded forms.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { RowDataPacket } from 'mysql2/promise';
import type { Pool } from '../../src/db/pool';

/** Every string and every byte field (payload data, decoded as UTF-8) of a history, one per line. */
export function historyText(history: unknown): string {
  const out: string[] = [];
  const seen = new Set<object>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 40 || value === null || value === undefined) return;
    if (typeof value === 'string') {
      out.push(value);
    } else if (value instanceof Uint8Array) {
      out.push(Buffer.from(value).toString('utf8'), Buffer.from(value).toString('base64'));
    } else if (typeof value === 'object') {
      if (seen.has(value)) return;
      seen.add(value);
      for (const child of Object.values(value)) walk(child, depth + 1);
    }
  };
  walk(history, 0);
  return out.join('\n');
}

function encodings(secret: string): string[] {
  const b64 = Buffer.from(secret).toString('base64');
  // Base64 of the secret at any byte offset shares this core, whatever precedes it.
  const forms = [secret, encodeURIComponent(secret), b64.slice(4, -4)];
  return forms.filter((f) => f.length >= 8);
}

/** The place where `secret` (or an encoding of it) occurs in `text`, with context; undefined if nowhere. */
export function findSecretIn(text: string, secret: string): string | undefined {
  for (const form of encodings(secret)) {
    const at = text.indexOf(form);
    if (at >= 0) return `…${text.slice(Math.max(0, at - 80), at)}<SECRET>${text.slice(at + form.length, at + form.length + 80)}…`;
  }
  return undefined;
}

/** Text of every workflow history in the namespace (fetched from the server), one entry per run. */
export async function allHistories(client: Client, limit = 5_000): Promise<Array<{ id: string; text: string }>> {
  const found: Array<{ id: string; text: string }> = [];
  // The raw list, not client.workflow.list(): that decodes memos, and other suites on the same
  // server leave encrypted ones (test/codec) that this client has no key for.
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, pageSize: 1000, nextPageToken });
    for (const wf of page.executions) {
      if (found.length >= limit) return found;
      const workflowId = wf.execution?.workflowId ?? '';
      const runId = wf.execution?.runId ?? undefined;
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      found.push({ id: `${workflowId}/${runId ?? ''}`, text: historyText(history) });
    }
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return found;
}

/** Every regular file under `dir` (logs), up to a size bound per file. */
export function filesUnder(dir: string, maxBytes = 64 * 1024 * 1024): Array<{ file: string; text: string }> {
  const files: Array<{ file: string; text: string }> = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) visit(p);
      else if (st.isFile() && st.size <= maxBytes) files.push({ file: p, text: readFileSync(p, 'utf8') });
    }
  };
  visit(dir);
  return files;
}

/** Every text column the charging code writes: failure messages, codes, claim owners. */
export async function databaseText(db: Pool): Promise<string> {
  const [invoices] = await db.query<RowDataPacket[]>('SELECT failure_code, decline_code, failure_message, claim_run_id, stripe_payment_intent_id FROM invoice');
  const [attempts] = await db.query<RowDataPacket[]>('SELECT idempotency_key, failure_code, decline_code, failure_message, run_id FROM payment_attempt');
  return [...invoices, ...attempts].map((r) => Object.values(r).filter((v) => v !== null).join(' ')).join('\n');
}
