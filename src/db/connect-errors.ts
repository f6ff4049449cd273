/**
 * Why a first MySQL connection failed, as one line that names what to fix. `target` is
 * `host:port/database` (describeMysqlUrl): the user name may appear, the password never does.
 */
type ErrorLike = NodeJS.ErrnoException & { sqlMessage?: string; errors?: unknown[] };

const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);
const TLS_CODES = new Set([
  'HANDSHAKE_NO_SSL_SUPPORT', 'HANDSHAKE_SSL_ERROR', 'EPROTO', 'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED',
  'ERR_SSL_WRONG_VERSION_NUMBER', 'ER_SECURE_TRANSPORT_REQUIRED',
]);

export type MysqlConnectProblem = 'credentials' | 'unknown-database' | 'no-privilege' | 'unreachable' | 'tls-required' | 'tls' | 'other';

/** Node reports a refused "localhost" (IPv4 and IPv6 tried) as an AggregateError without code. */
function codeOf(err: ErrorLike): string | undefined {
  if (err.code) return err.code;
  const inner = err.errors?.find((e): e is ErrorLike => typeof e === 'object' && e !== null && 'code' in e);
  return inner?.code;
}

export function classifyMysqlError(err: unknown): MysqlConnectProblem {
  const code = codeOf(err as ErrorLike);
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR' || code === 'ER_NOT_SUPPORTED_AUTH_MODE') return 'credentials';
  if (code === 'ER_BAD_DB_ERROR') return 'unknown-database';
  if (code === 'ER_DBACCESS_DENIED_ERROR' || code === 'ER_HOST_NOT_PRIVILEGED') return 'no-privilege';
  if (code !== undefined && UNREACHABLE.has(code)) return 'unreachable';
  if (code === 'ER_SECURE_TRANSPORT_REQUIRED') return 'tls-required';
  if ((code !== undefined && TLS_CODES.has(code)) || (code?.startsWith('ERR_SSL_') ?? false) || (code?.startsWith('ERR_TLS_') ?? false)) return 'tls';
  return 'other';
}

/** Why the TLS handshake failed, in words; the driver reports most as HANDSHAKE_SSL_ERROR. */
function tlsReason(message: string, target: string): string | undefined {
  if (/self[- ]signed certificate|unable to get (local )?issuer|unable to verify the first certificate|certificate signature failure/i.test(message)) {
    return "the server's certificate is not signed by the CA in MYSQL_SSL_CA (without MYSQL_SSL_CA: by a public CA); set MYSQL_SSL_CA to the CA file your MySQL provider publishes";
  }
  if (/does not match certificate|altnames/i.test(message)) {
    return `the server's certificate does not name the host ${target.split(':')[0]}; connect by a name on the certificate, or set MYSQL_SSL_MODE=verify-ca`;
  }
  if (/certificate has expired|not yet valid/i.test(message)) return "the server's certificate has expired or is not yet valid";
  return undefined;
}

/**
 * Never the driver's message verbatim for credentials: MySQL's names the user, and that is all we
 * keep. `tlsConfigured`: whether the client used TLS (MariaDB answers a plain connection to a
 * server with require_secure_transport as "access denied", so that gets a hint).
 */
export function explainMysqlError(err: unknown, target: string, { tlsConfigured = true }: { tlsConfigured?: boolean } = {}): Error {
  const e = err as ErrorLike;
  // "Access denied for user 'app'@'10.0.0.5' (using password: YES)": the user name is safe to show.
  const user = /for user '([^']*)'/.exec(e.sqlMessage ?? '')?.[1];
  const code = codeOf(e) ?? 'unknown error';
  const who = user ? `user "${user}"` : 'the user';
  const tlsHint = tlsConfigured ? '' : ' (or, if the server requires TLS, set MYSQL_SSL_CA or MYSQL_SSL_MODE)';
  const reason = tlsReason(e.message ?? '', target);
  const message: Record<MysqlConnectProblem, string> = {
    credentials: `MySQL at ${target} refused ${who} (${code}): wrong user name or password; fix them in MYSQL_URL${tlsHint}`,
    'unknown-database': `MySQL at ${target} has no such database (${code}): create it or fix the database name in MYSQL_URL, then npm run migrate`,
    'no-privilege': `MySQL at ${target} does not let ${who} use this database from here (${code}): GRANT the privileges or use another user in MYSQL_URL`,
    unreachable: `cannot reach MySQL at ${target} (${code}): is it running? check the host and port in MYSQL_URL`,
    'tls-required': `MySQL at ${target} requires TLS (${code}): set MYSQL_SSL_CA to the server's CA file (or MYSQL_SSL_MODE), or the ssl-* parameters of MYSQL_URL`,
    tls: `TLS to MySQL at ${target} failed (${code}${e.message ? `: ${e.message.split('\n')[0]}` : ''}): ${reason ?? "check the server's TLS setup and MYSQL_SSL_MODE / MYSQL_SSL_CA (or the ssl-* parameters of MYSQL_URL)"}`,
    other: `MySQL at ${target} failed the start-up check (${code}${e.sqlMessage ?? e.message ? `: ${e.sqlMessage ?? e.message}` : ''}): check MYSQL_URL`,
  };
  return new Error(message[classifyMysqlError(err)], { cause: err });
}
