/**
 * Start-up check: the workflows upsert custom search attributes, and Temporal fails the workflow
 * task of a run that sets one the namespace does not know — the run would be stuck. The worker
 * refuses to start instead, naming the commands that register them.
 */
import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import {
  CHARGE_RUN_DRY_RUN, CHARGE_RUN_FAILED, CHARGE_RUN_OUTCOMES, CHARGE_RUN_PAID, CHARGE_RUN_PHASE, CHARGE_RUN_REQUIRES_AUTH, INVOICE_ID,
} from '../workflows/search-attributes';

export const REQUIRED_SEARCH_ATTRIBUTES = [
  INVOICE_ID, CHARGE_RUN_PAID, CHARGE_RUN_FAILED, CHARGE_RUN_REQUIRES_AUTH, CHARGE_RUN_OUTCOMES, CHARGE_RUN_PHASE, CHARGE_RUN_DRY_RUN,
];

/** The CLI's names for the types (`temporal operator search-attribute create --type …`). */
const CLI_TYPE: Record<SearchAttributeType, string> = {
  TEXT: 'Text', KEYWORD: 'Keyword', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList',
};

export function registerCommand(namespace: string, missing: typeof REQUIRED_SEARCH_ATTRIBUTES): string {
  return missing.map((k) => `temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type ${CLI_TYPE[k.type]}`).join(' && ');
}

/**
 * Throws with the commands to run when an attribute is missing; returns a warning when the list
 * cannot be read (a cluster may not grant the operator API): the worker starts anyway.
 */
export async function checkSearchAttributes(connection: Connection, namespace: string): Promise<string | undefined> {
  let known: Record<string, unknown>;
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    known = { ...listed.systemAttributes, ...listed.customAttributes };
  } catch (err) {
    return `could not list the search attributes of namespace ${namespace} (${err instanceof Error ? err.message : String(err)}); `
      + 'runs fail their workflow tasks if these are not registered: '
      + REQUIRED_SEARCH_ATTRIBUTES.map((k) => k.name).join(', ');
  }
  const missing = REQUIRED_SEARCH_ATTRIBUTES.filter((k) => known[k.name] === undefined);
  if (missing.length > 0) {
    throw new Error(`namespace ${namespace} lacks the search attributes ${missing.map((k) => k.name).join(', ')}: register them with ${registerCommand(namespace, missing)}`);
  }
  return undefined;
}
