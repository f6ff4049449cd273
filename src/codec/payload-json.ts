/** Payloads as Temporal's codec server protocol carries them: proto3 JSON, bytes as base64. */
import type { Payload } from '@temporalio/common';

export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export function payloadFromJson(json: unknown): Payload {
  if (typeof json !== 'object' || json === null) throw new TypeError('each payload must be an object');
  const { metadata, data } = json as { metadata?: unknown; data?: unknown };
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null)) throw new TypeError('payload metadata must be an object');
  if (data !== undefined && data !== null && typeof data !== 'string') throw new TypeError('payload data must be base64');
  const entries = Object.entries((metadata ?? {}) as Record<string, unknown>).map(([k, v]) => {
    if (typeof v !== 'string') throw new TypeError('payload metadata values must be base64');
    return [k, Buffer.from(v, 'base64')] as const;
  });
  return { metadata: Object.fromEntries(entries), data: Buffer.from(typeof data === 'string' ? data : '', 'base64') };
}

export function payloadToJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}
