/**
 * The custom search attributes the workflows set, so the Web UI list (and `temporal workflow
 * list --query`) finds runs with failures or the follow-up of an invoice. Registered by the dev
 * servers (dev/stack/temporal-server.ts); on a cluster once with `temporal operator
 * search-attribute create` (README). Temporal's SQL visibility allows only 3 Int attributes per
 * namespace, so the other outcomes are in the keyword list ChargeRunOutcomes.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The invoice a follow-up or per-invoice workflow is about (Keyword: `InvoiceId = "17"`). */
export const INVOICE_ID = defineSearchAttributeKey('InvoiceId', SearchAttributeType.KEYWORD);
export const CHARGE_RUN_PAID = defineSearchAttributeKey('ChargeRunPaid', SearchAttributeType.INT);
export const CHARGE_RUN_FAILED = defineSearchAttributeKey('ChargeRunFailed', SearchAttributeType.INT);
export const CHARGE_RUN_REQUIRES_AUTH = defineSearchAttributeKey('ChargeRunRequiresAuth', SearchAttributeType.INT);
/** Every outcome the run has counted at least once: `ChargeRunOutcomes = 'processing'`. */
export const CHARGE_RUN_OUTCOMES = defineSearchAttributeKey('ChargeRunOutcomes', SearchAttributeType.KEYWORD_LIST);
/** recover | due | retry while it runs; finished | stopped at the end. */
export const CHARGE_RUN_PHASE = defineSearchAttributeKey('ChargeRunPhase', SearchAttributeType.KEYWORD);
export const CHARGE_RUN_DRY_RUN = defineSearchAttributeKey('ChargeRunDryRun', SearchAttributeType.BOOL);
