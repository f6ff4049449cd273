/**
 * The wait Stripe advises before a request is sent again: the `Retry-After` header of a 429 (or
 * 503), in delta-seconds or as an HTTP date. Stripe does not document sending it; when it does,
 * it is honoured, otherwise the activity's retry policy (1 s, doubling, at most 30 s) decides.
 */
export function advisedWaitMs(headers: Record<string, string | string[] | undefined> | undefined, now: () => number = Date.now): number | undefined {
  const raw = headers?.['retry-after'] ?? headers?.['Retry-After'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}
