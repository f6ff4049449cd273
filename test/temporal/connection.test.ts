import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config';
import { explainConnectFailure, loadTemporalConnectionSettings } from '../../src/temporal/connection';

const defaults = { address: 'localhost:7233', namespace: 'default' };

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

describe('Temporal connection settings (envconfig)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'temporal-conn-'));
  const pem = (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`);
    return path;
  };

  it('plaintext to the dev server when nothing is configured', () => {
    writeFileSync(join(dir, 'empty.toml'), '[profile.unused]\n');
    const s = loadTemporalConnectionSettings(defaults, { TEMPORAL_CONFIG_FILE: join(dir, 'empty.toml'), TEMPORAL_ADDRESS: undefined });
    assert.equal(s.address, 'localhost:7233');
    assert.equal(s.tls, false);
    assert.equal(s.apiKey, undefined);
  });

  it('names the setting and the path when a certificate file is missing', () => {
    const key = pem('client.key');
    const found = problems(() => loadTemporalConnectionSettings(defaults, {
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'missing.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
    }));
    assert.equal(found.length, 1);
    assert.match(found[0], /^TEMPORAL_TLS_CLIENT_CERT_PATH cannot read .*missing\.pem \(no such file\)/);
  });

  it('requires both halves of a client certificate pair', () => {
    const found = problems(() => loadTemporalConnectionSettings(defaults, { TEMPORAL_TLS_CLIENT_CERT_PATH: pem('only.crt') }));
    assert.match(found.join('\n'), /TEMPORAL_TLS_CLIENT_KEY_PATH is required/);
  });

  it('reads a TOML profile chosen by TEMPORAL_PROFILE, mTLS with a custom CA; env overrides the profile', () => {
    const ca = pem('ca.pem');
    const crt = pem('c.pem');
    const key = pem('k.pem');
    const file = join(dir, 'temporal.toml');
    writeFileSync(file, [
      '[profile.default]', 'address = "localhost:7233"', '',
      '[profile.cluster]', 'address = "127.0.0.1:17233"', 'namespace = "billing"',
      '[profile.cluster.tls]', `server_ca_cert_path = "${ca}"`, `client_cert_path = "${crt}"`, `client_key_path = "${key}"`, 'server_name = "localhost"', '',
    ].join('\n'));
    const s = loadTemporalConnectionSettings(defaults, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cluster' });
    assert.equal(s.address, '127.0.0.1:17233');
    assert.equal(s.namespace, 'billing');
    assert.ok(s.tls);
    assert.equal(s.tls.serverNameOverride, 'localhost');
    assert.match(Buffer.from(s.tls.serverRootCACertificate!).toString(), /ca\.pem/);
    assert.match(Buffer.from(s.tls.clientCertPair!.crt).toString(), /c\.pem/);
    assert.match(s.describe, /mutual TLS, custom CA/);
    const overridden = loadTemporalConnectionSettings(defaults, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cluster', TEMPORAL_NAMESPACE: 'other' });
    assert.equal(overridden.namespace, 'other');
  });

  it('an unknown profile or a missing profile file names TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE', () => {
    const file = join(dir, 'p.toml');
    writeFileSync(file, '[profile.default]\naddress = "localhost:7233"\n');
    assert.match(problems(() => loadTemporalConnectionSettings(defaults, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'nope' }))[0], /^TEMPORAL_PROFILE "nope" is not a profile/);
    assert.match(problems(() => loadTemporalConnectionSettings(defaults, { TEMPORAL_CONFIG_FILE: join(dir, 'gone.toml'), TEMPORAL_PROFILE: 'x' }))[0], /^TEMPORAL_CONFIG_FILE cannot read .*gone\.toml/);
    writeFileSync(file, '[profile.default]\nadress = "typo:1"\n');
    assert.match(problems(() => loadTemporalConnectionSettings(defaults, { TEMPORAL_CONFIG_FILE: file }))[0], /adress/);
  });

  it('an API key turns on TLS and is passed as apiKey, never printed', () => {
    const s = loadTemporalConnectionSettings(defaults, {
      TEMPORAL_ADDRESS: 'billing.abcde.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'billing.abcde', TEMPORAL_API_KEY: 'secret-key-123',
    });
    assert.equal(s.apiKey, 'secret-key-123');
    assert.deepEqual(s.tls, {});
    assert.doesNotMatch(JSON.stringify(s), /secret-key-123/);
    assert.doesNotMatch(s.describe, /secret-key-123/);
    assert.match(s.describe, /TLS, API key/);
    assert.match(problems(() => loadTemporalConnectionSettings(defaults, { TEMPORAL_API_KEY: 'k', TEMPORAL_GRPC_META_AUTHORIZATION: 'Bearer x' }))[0], /keep one/);
  });

  it('a refused TLS client without a certificate is told to set the client certificate', () => {
    const s = loadTemporalConnectionSettings(defaults, { TEMPORAL_TLS: 'true', TEMPORAL_TLS_SERVER_CA_CERT_PATH: pem('ca2.pem') });
    const e = explainConnectFailure(new Error('Failed to call GetSystemInfo: transport error: stream closed because of a broken pipe'), s);
    assert.match(e.message, /^Temporal at localhost:7233 refused the TLS connection and no client certificate is configured/);
    assert.match(e.message, /set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
    // A server that is not there is still "unreachable", certificate or not.
    assert.match(explainConnectFailure(new Error('tcp connect error: Connection refused'), s).message, /cannot reach Temporal at localhost:7233/);
    const plain = explainConnectFailure(new Error('connection error: InvalidContentType'), loadTemporalConnectionSettings(defaults, {}));
    assert.match(plain.message, /set TEMPORAL_TLS=true/);
    // What the worker's core reports when a TLS-only frontend drops a plaintext client (seen on the cluster).
    const dropped = new Error(`Failed to call GetSystemInfo: code: 'The operation was cancelled', message: "operation was canceled", source: tonic::transport::Error(Transport, hyper::Error(Canceled, "connection closed"))`);
    assert.match(explainConnectFailure(dropped, loadTemporalConnectionSettings(defaults, {})).message, /this client connects in plaintext: if the server requires TLS set TEMPORAL_TLS=true/);
  });
});
