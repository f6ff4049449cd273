/** Why a Temporal connection failed, as one line that names what to fix (worker and CLI alike). */
export type TemporalConnectProblem = 'unreachable' | 'unknown-host' | 'tls' | 'auth' | 'other';

/**
 * The worker's Rust core reports the cause in the message (`tcp connect error … Connection
 * refused`, `dns error`, `InvalidContentType` for TLS against plaintext); gRPC statuses 16/7 are
 * a rejected API key or mTLS identity.
 */
export function classifyTemporalConnectError(err: unknown): TemporalConnectProblem {
  const e = err as { message?: string; code?: number };
  const message = e.message ?? String(err);
  if (e.code === 16 || e.code === 7 || /unauthenticated|permission ?denied|unauthori[sz]ed/i.test(message)) return 'auth';
  if (/dns error|failed to lookup address|name or service not known|ENOTFOUND/i.test(message)) return 'unknown-host';
  if (/InvalidContentType|InvalidCertificate|certificate|\btls\b|handshake|alert|HTTP\/2|h2 protocol/i.test(message)) return 'tls';
  if (/tcp connect error|connection refused|ECONNREFUSED|timed out|deadline|ETIMEDOUT|unreachable/i.test(message)) return 'unreachable';
  return 'other';
}

export function explainTemporalConnectError(err: unknown, address: string): Error {
  const message: Record<TemporalConnectProblem, string> = {
    unreachable: `cannot reach Temporal at ${address}: is the server running? check TEMPORAL_ADDRESS`,
    'unknown-host': `cannot resolve the host of TEMPORAL_ADDRESS (${address}): check the name`,
    tls: `TLS handshake with Temporal at ${address} failed: the server and the worker disagree on TLS (plaintext vs TLS, or the certificate); check TEMPORAL_ADDRESS and the server's TLS settings`,
    auth: `Temporal at ${address} refused this client's credentials: check the API key or client certificate for the namespace`,
    other: `cannot connect to Temporal at ${address} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): check TEMPORAL_ADDRESS`,
  };
  return new Error(message[classifyTemporalConnectError(err)], { cause: err });
}
