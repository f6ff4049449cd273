/** Shared by the codec tests: key rings, the encrypting bundle, payload walks over raw histories. */
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ENCRYPTING_FAILURE_CONVERTER_PATH } from '../../src/codec/data-converter';
import { KeyRing } from '../../src/codec/keys';
import { quietRuntime } from '../support/temporal';

export const newKey = (): Buffer => randomBytes(32);
export const ring = (...entries: Array<[string, Buffer]>): KeyRing => new KeyRing(entries.map(([id, key]) => ({ id, key })));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow code with the failure converter that encodes messages and stack traces. */
export function encryptingWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  quietRuntime();
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    failureConverterPath: ENCRYPTING_FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

export interface FoundPayload {
  /** Where in the history, e.g. events.3.activityTaskScheduledEventAttributes.input.payloads.0 */
  path: string;
  payload: Payload;
}

const isPayload = (v: unknown): v is Payload =>
  typeof v === 'object' && v !== null && 'metadata' in v && 'data' in v && (v as Payload).data instanceof Uint8Array;

/**
 * Every payload of a raw history except search attributes (indexed by the server, so never
 * encoded) and headers (not ours).
 */
export function payloadsOf(history: unknown): FoundPayload[] {
  const found: FoundPayload[] = [];
  const walk = (value: unknown, path: string, depth: number): void => {
    if (depth > 40 || value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    if (isPayload(value)) {
      found.push({ path, payload: value });
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key === 'searchAttributes' || key === 'header') continue;
      walk(child, path ? `${path}.${key}` : key, depth + 1);
    }
  };
  walk(history, '', 0);
  return found;
}

export const metadataText = (payload: Payload, key: string): string => Buffer.from(payload.metadata?.[key] ?? []).toString('utf8');
