/**
 * The one way worker, client CLI and webhook endpoint connect to Temporal: Temporal's standard
 * environment configuration (@temporalio/envconfig) — TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_*, and a TOML profile via TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE.
 * Covers plaintext (dev server), server TLS with a custom CA, mutual TLS and API keys (Cloud).
 */
import { readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, type TemporalConfig } from '../config';
import { classifyTemporalConnectError, explainTemporalConnectError } from '../temporal-connect-errors';

type Env = Record<string, string | undefined>;

/** Everything needed to open a connection; built (and files read) before anything connects. */
export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  /** false: plaintext. Certificates are read already, so a missing file fails at start. */
  tls: TLSConfig | false;
  /** Bearer token (Temporal Cloud). Non-enumerable: never printed with the settings. */
  apiKey?: string;
  metadata?: Record<string, string>;
  /** One line for the start-up log: never contains the key or certificate contents. */
  describe: string;
}

interface TlsFile {
  source: ConfigDataSource | undefined;
  envPath: string;
  envData: string;
  toml: string;
}

function settingName(env: Env, file: TlsFile, profile: string): string {
  if (env[file.envPath] !== undefined) return file.envPath;
  if (env[file.envData] !== undefined) return file.envData;
  return `${file.toml} in profile "${profile}" of ${env.TEMPORAL_CONFIG_FILE ?? 'the Temporal config file'}`;
}

function readTlsFile(env: Env, file: TlsFile, profile: string, problems: string[]): Uint8Array | undefined {
  const source = file.source;
  if (!source) return undefined;
  if ('data' in source) return typeof source.data === 'string' ? Buffer.from(source.data) : source.data;
  try {
    return readFileSync(source.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    problems.push(`${settingName(env, file, profile)} cannot read ${source.path} (${why}): set it to a readable PEM file`);
    return undefined;
  }
}

function loadProfile(env: Env): { profile: ClientConfigProfile; name: string } {
  const name = env.TEMPORAL_PROFILE ?? 'default';
  const overrideEnvVars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  if (env.TEMPORAL_CONFIG_FILE) {
    // The SDK treats a missing file as "no profiles"; a file the operator named must exist.
    try {
      readFileSync(env.TEMPORAL_CONFIG_FILE);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError([`TEMPORAL_CONFIG_FILE cannot read ${env.TEMPORAL_CONFIG_FILE} (${code}): point it at a readable TOML file`]);
    }
  }
  try {
    // Without TEMPORAL_CONFIG_FILE the SDK looks in the user's config dir; a missing default file is fine.
    return { profile: loadClientConfigProfile({ overrideEnvVars, configFileStrict: true }), name };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/Profile '.*' not found/.test(message)) {
      throw new ConfigError([`TEMPORAL_PROFILE "${name}" is not a profile in ${env.TEMPORAL_CONFIG_FILE ?? 'the Temporal config file'}: add [profile.${name}] or change TEMPORAL_PROFILE`]);
    }
    throw new ConfigError([`TEMPORAL_CONFIG_FILE ${env.TEMPORAL_CONFIG_FILE ?? ''} is not a valid Temporal profile file: ${message.split('\n')[0]}`]);
  }
}

/**
 * Resolve the connection from the environment (and profile file). Environment variables win over
 * the profile, as in the Temporal CLI; `config` (src/config.ts) supplies the validated defaults.
 * Throws ConfigError naming each setting to fix.
 */
export function loadTemporalConnectionSettings(config: Pick<TemporalConfig, 'address' | 'namespace'>, env: Env = process.env): TemporalConnectionSettings {
  const { profile, name } = loadProfile(env);
  const problems: string[] = [];
  const address = env.TEMPORAL_ADDRESS || profile.address || config.address;
  const namespace = env.TEMPORAL_NAMESPACE || profile.namespace || config.namespace;
  if (!/^[^\s/]+:\d{1,5}$/.test(address)) problems.push(`TEMPORAL_ADDRESS (or address in profile "${name}") must be host:port, e.g. localhost:7233`);
  const tlsIn = profile.tls;
  let tls: TLSConfig | false = false;
  if (tlsIn && tlsIn.disabled !== true) {
    const crt = readTlsFile(env, { source: tlsIn.clientCert, envPath: 'TEMPORAL_TLS_CLIENT_CERT_PATH', envData: 'TEMPORAL_TLS_CLIENT_CERT_DATA', toml: 'tls.client_cert_path' }, name, problems);
    const key = readTlsFile(env, { source: tlsIn.clientKey, envPath: 'TEMPORAL_TLS_CLIENT_KEY_PATH', envData: 'TEMPORAL_TLS_CLIENT_KEY_DATA', toml: 'tls.client_key_path' }, name, problems);
    const ca = readTlsFile(env, { source: tlsIn.serverCACert, envPath: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', envData: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', toml: 'tls.server_ca_cert_path' }, name, problems);
    if (Boolean(tlsIn.clientCert) !== Boolean(tlsIn.clientKey)) {
      problems.push(tlsIn.clientCert
        ? 'TEMPORAL_TLS_CLIENT_KEY_PATH is required with a client certificate (mutual TLS needs both)'
        : 'TEMPORAL_TLS_CLIENT_CERT_PATH is required with a client key (mutual TLS needs both)');
    }
    tls = {
      ...(tlsIn.serverName ? { serverNameOverride: tlsIn.serverName } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
  } else if (profile.apiKey !== undefined && tlsIn?.disabled !== true) {
    tls = {}; // An API key implies TLS (the SDK's rule): never send a bearer token in clear.
  }
  if (profile.apiKey !== undefined && profile.grpcMeta && Object.keys(profile.grpcMeta).some((k) => k.toLowerCase() === 'authorization')) {
    problems.push('TEMPORAL_API_KEY and an authorization gRPC header (TEMPORAL_GRPC_META_AUTHORIZATION) are both set: keep one');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const mode = tls === false ? 'plaintext' : tls.clientCertPair ? 'mutual TLS' : 'TLS';
  const settings: TemporalConnectionSettings = {
    address,
    namespace,
    tls,
    ...(profile.grpcMeta && Object.keys(profile.grpcMeta).length > 0 ? { metadata: profile.grpcMeta } : {}),
    describe: `${address} (namespace ${namespace}, ${mode}${profile.apiKey !== undefined ? ', API key' : ''}${tls && tls.serverRootCACertificate ? ', custom CA' : ''})`,
  };
  if (profile.apiKey !== undefined) Object.defineProperty(settings, 'apiKey', { value: profile.apiKey, enumerable: false });
  return settings;
}

/**
 * The classified cause (temporal-connect-errors.ts), made precise for TLS: a server that requires
 * mutual TLS closes the connection of a client without a certificate, which otherwise reads as
 * an unexplained "transport error".
 */
export function explainConnectFailure(err: unknown, settings: TemporalConnectionSettings): Error {
  const problem = classifyTemporalConnectError(err);
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
  if (settings.tls && !settings.tls.clientCertPair && settings.apiKey === undefined && problem !== 'unreachable' && problem !== 'unknown-host') {
    return new Error(
      `Temporal at ${settings.address} refused the TLS connection and no client certificate is configured: ` +
        'a server that requires mutual TLS needs one; set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH ' +
        `(or tls.client_cert_path / tls.client_key_path in the profile) [${detail}]`,
      { cause: err },
    );
  }
  const explained = explainTemporalConnectError(err, settings.address);
  // A TLS-only server drops a plaintext HTTP/2 client: "connection closed", "broken pipe", a TLS alert.
  if (settings.tls === false && (problem === 'tls' || problem === 'auth' || (problem === 'other' && /connection closed|broken pipe|cancell?ed|transport error|reset/i.test(detail)))) {
    return new Error(`${explained.message}; this client connects in plaintext: if the server requires TLS set TEMPORAL_TLS=true and TEMPORAL_TLS_SERVER_CA_CERT_PATH (and, for mutual TLS, the client certificate)`, { cause: err });
  }
  return explained;
}

function options(settings: TemporalConnectionSettings) {
  return {
    address: settings.address,
    tls: settings.tls === false ? undefined : settings.tls,
    ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata ? { metadata: settings.metadata } : {}),
  };
}

/** The worker's (Rust core) connection. */
export async function connectWorkerConnection(settings: TemporalConnectionSettings): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(options(settings));
  } catch (err) {
    throw explainConnectFailure(err, settings);
  }
}

/** The client's (gRPC-js) connection, for the CLI and the webhook endpoint. */
export async function connectClientConnection(settings: TemporalConnectionSettings): Promise<Connection> {
  try {
    return await Connection.connect({ ...options(settings), connectTimeout: '10s' });
  } catch (err) {
    throw explainConnectFailure(err, settings);
  }
}
