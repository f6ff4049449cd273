/**
 * TLS to MySQL, for managed servers (RDS, Cloud SQL, Azure, PlanetScale…) that require or offer it.
 *
 * Settings come from the environment or from parameters of MYSQL_URL (the names the mysql CLI
 * uses), never both for one setting unless they agree:
 *   MYSQL_SSL_MODE  / ?ssl-mode=  disabled | required | verify-ca | verify-identity
 *   MYSQL_SSL_CA    / ?ssl-ca=    PEM file of the CA(s) that signed the server's certificate
 *   MYSQL_SSL_CERT  / ?ssl-cert=  PEM client certificate (users created with REQUIRE X509/SUBJECT)
 *   MYSQL_SSL_KEY   / ?ssl-key=   PEM private key of that certificate
 * A CA or client certificate without a mode means verify-identity: the chain must lead to the CA
 * and the certificate must name the host of MYSQL_URL (a host name: with an IP address the driver
 * cannot check the name, so that needs verify-ca). Without a CA, the verifying modes trust
 * Node's bundled public CAs. `required` encrypts but verifies nothing (MySQL's REQUIRED).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { SslOptions } from 'mysql2';

export const MYSQL_SSL_MODES = ['disabled', 'required', 'verify-ca', 'verify-identity'] as const;
export type MysqlSslMode = (typeof MYSQL_SSL_MODES)[number];

export interface MysqlTls {
  mode: Exclude<MysqlSslMode, 'disabled'>;
  /** PEM contents, read once at start-up (a file that later disappears does not matter). */
  ca?: Buffer;
  cert?: Buffer;
  /** The client's private key: non-enumerable, so logging the config cannot print it. */
  key?: Buffer;
  /** Where each came from, for messages. */
  files: { ca?: string; cert?: string; key?: string };
}

const SETTINGS = [
  { name: 'mode', env: 'MYSQL_SSL_MODE', param: 'ssl-mode' },
  { name: 'ca', env: 'MYSQL_SSL_CA', param: 'ssl-ca' },
  { name: 'cert', env: 'MYSQL_SSL_CERT', param: 'ssl-cert' },
  { name: 'key', env: 'MYSQL_SSL_KEY', param: 'ssl-key' },
] as const;
type SettingName = (typeof SETTINGS)[number]['name'];
const URL_PARAMS: readonly string[] = SETTINGS.map((s) => s.param);

type Env = Record<string, string | undefined>;

/** MYSQL_URL without the ssl-* parameters, as the driver must get it (it warns about unknown ones). */
export function stripTlsParams(mysqlUrl: string): string {
  let u: URL;
  try {
    u = new URL(mysqlUrl);
  } catch {
    return mysqlUrl;
  }
  if (!URL_PARAMS.some((p) => u.searchParams.has(p))) return mysqlUrl;
  for (const p of URL_PARAMS) u.searchParams.delete(p);
  return u.toString();
}

/**
 * Reads and checks the TLS settings; `problems` name the variable or URL parameter and the file,
 * never a file's contents. `tls` is undefined when TLS is off (the default).
 */
export function resolveMysqlTls(mysqlUrl: string, env: Env): { tls?: MysqlTls; problems: string[] } {
  const problems: string[] = [];
  let params: URLSearchParams;
  let host: string;
  try {
    const u = new URL(mysqlUrl);
    params = u.searchParams;
    host = u.hostname.replace(/^\[|\]$/g, '');
  } catch {
    return { problems }; // MYSQL_URL's own validation reports it
  }
  if (params.has('ssl')) {
    problems.push('MYSQL_URL has an "ssl" parameter: use ssl-mode, ssl-ca, ssl-cert and ssl-key (or MYSQL_SSL_MODE, MYSQL_SSL_CA, MYSQL_SSL_CERT, MYSQL_SSL_KEY)');
  }

  const value: Partial<Record<SettingName, { v: string; from: string }>> = {};
  for (const s of SETTINGS) {
    const fromEnv = env[s.env] || undefined;
    const fromUrl = params.get(s.param) || undefined;
    if (fromEnv !== undefined && fromUrl !== undefined && fromEnv !== fromUrl) {
      problems.push(`${s.env} and the ${s.param} parameter of MYSQL_URL disagree; set only one`);
      continue;
    }
    if (fromEnv !== undefined) value[s.name] = { v: fromEnv, from: s.env };
    else if (fromUrl !== undefined) value[s.name] = { v: fromUrl, from: `MYSQL_URL's ${s.param} parameter` };
  }

  const modeText = value.mode?.v.toLowerCase().replace(/_/g, '-');
  if (modeText !== undefined && !(MYSQL_SSL_MODES as readonly string[]).includes(modeText)) {
    problems.push(`${value.mode?.from} must be one of ${MYSQL_SSL_MODES.join(', ')}`);
    return { problems };
  }
  const anyFile = value.ca || value.cert || value.key;
  const mode = (modeText as MysqlSslMode | undefined) ?? (anyFile ? 'verify-identity' : 'disabled');
  if (mode === 'disabled') {
    if (anyFile) problems.push(`${value.mode?.from ?? 'MYSQL_SSL_MODE'} is disabled but a CA or client certificate is set; remove one`);
    return { problems };
  }
  if (mode === 'verify-identity' && isIP(host)) {
    // mysql2 gives Node no server name for an IP, so Node would check the certificate for
    // "localhost" instead of the IP: a false check is worse than none.
    problems.push(
      `MYSQL_URL's host ${host} is an IP address, for which the driver cannot check the certificate's name (verify-identity${modeText ? '' : ', the default with a CA'}); ` +
        'connect by the host name on the certificate, or set MYSQL_SSL_MODE=verify-ca (chain checked, name not)',
    );
  }
  if (Boolean(value.cert) !== Boolean(value.key)) {
    problems.push(value.cert ? `${value.cert.from} is set without MYSQL_SSL_KEY (ssl-key): a client certificate needs its private key` : `${value.key?.from} is set without MYSQL_SSL_CERT (ssl-cert): a private key needs its client certificate`);
  }

  const read = (name: 'ca' | 'cert' | 'key', check: (pem: Buffer) => void, what: string): Buffer | undefined => {
    const setting = value[name];
    if (!setting) return undefined;
    let pem: Buffer;
    try {
      pem = readFileSync(setting.v);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code;
      problems.push(`${setting.from}: cannot read ${setting.v} (${why})`);
      return undefined;
    }
    try {
      check(pem);
    } catch {
      problems.push(`${setting.from}: ${setting.v} is not ${what}`);
      return undefined;
    }
    return pem;
  };
  const ca = read('ca', (pem) => new X509Certificate(pem), 'a PEM certificate (the CA that signed the server certificate)');
  const cert = read('cert', (pem) => new X509Certificate(pem), 'a PEM certificate');
  const key = read('key', (pem) => createPrivateKey(pem), 'a PEM private key (without a passphrase)');
  if (problems.length > 0) return { problems };

  const files = { ca: value.ca?.v, cert: value.cert?.v, key: value.key?.v };
  const tls: MysqlTls = { mode, ...(ca && { ca }), ...(cert && { cert }), files };
  if (key) Object.defineProperty(tls, 'key', { value: key, enumerable: false });
  return { tls, problems };
}

/** The same as resolveMysqlTls, throwing the problems as one error: for tools without loadConfig. */
export function mysqlTlsOrThrow(mysqlUrl: string, env: Env): MysqlTls | undefined {
  const { tls, problems } = resolveMysqlTls(mysqlUrl, env);
  if (problems.length > 0) throw new Error(`invalid MySQL TLS settings: ${problems.join('; ')}`);
  return tls;
}

/** mysql2's `ssl` option for these settings. */
export function mysqlSslOptions(tls: MysqlTls): SslOptions {
  const verify = tls.mode !== 'required';
  return {
    ...(tls.ca && { ca: tls.ca }),
    ...(tls.cert && { cert: tls.cert }),
    ...(tls.key && { key: tls.key }),
    rejectUnauthorized: verify,
    verifyIdentity: tls.mode === 'verify-identity',
    minVersion: 'TLSv1.2',
  };
}

/** For the worker's readiness line: what is in force, never a key. */
export function describeMysqlTls(tls: MysqlTls | undefined): string {
  if (!tls) return 'MySQL without TLS';
  return `MySQL over TLS (${tls.mode}${tls.files.ca ? `, CA ${tls.files.ca}` : ''}${tls.files.cert ? ', client certificate' : ''})`;
}
