import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { startMariaDb, type MariaDb } from '../../dev/stack/mariadb';
import { ConfigError, loadConfig, loadDatabaseConfig } from '../../src/config';
import { migrate } from '../../src/db/migrate';
import { checkDatabase, createPool, type Pool } from '../../src/db/pool';
import { mysqlSslOptions, resolveMysqlTls } from '../../src/db/tls';
import { getTestStack, STACK_START_TIMEOUT_MS } from '../support/stack';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const STRIPE_KEY = 'sk_test_tls_only_0000';

/** A CA, a server certificate for localhost signed by it, a client certificate, and a second, unrelated CA. */
function makeCertificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey' | 'otherCa', string> {
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string, cn: string) =>
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`));
  const leaf = (name: string, cn: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    writeFileSync(f(`${name}.ext`), ext);
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
  };
  ca('ca', 'invoice-test MySQL CA');
  ca('other-ca', 'some other CA');
  leaf('server', 'mysql.test', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'invoice-worker', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    otherCa: f('other-ca.pem'),
  };
}

/** Runs the worker until it prints its readiness line (then SIGTERM) or exits; returns its output. */
function runWorker(env: Record<string, string>): Promise<{ ready: boolean; code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['src/worker.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let ready = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!ready && /worker polling task queue/.test(output)) {
        ready = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ready, code, output });
    });
  });
}

async function sslCipher(pool: Pool): Promise<string> {
  const [rows] = await pool.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
  return String(rows[0]?.Value ?? '');
}

describe('TLS to MySQL: a private MariaDB that requires secure transport', function () {
  this.timeout(180_000);
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let db: MariaDb;
  let rootUrl: string;
  let x509Url: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mysql-tls-test-'));
    const certDir = path.join(dir, 'certs');
    mkdirSync(certDir);
    certs = makeCertificates(certDir);
    db = await startMariaDb({
      dataDir: path.join(dir, 'mysql'),
      database: 'tls_test',
      extraArgs: [`--ssl-ca=${certs.ca}`, `--ssl-cert=${certs.serverCert}`, `--ssl-key=${certs.serverKey}`, '--require-secure-transport=ON'],
    });
    // By host name: verify-identity (the default with a CA) needs one; localhost reaches 127.0.0.1.
    rootUrl = `mysql://root@localhost:${db.port}/tls_test`;
    // A user that must present a client certificate issued by the server's CA.
    const admin = await mysql.createConnection({ socketPath: db.socket, user: 'root' });
    try {
      await admin.query("CREATE USER 'worker'@'127.0.0.1' IDENTIFIED BY 'worker-pw' REQUIRE X509");
      await admin.query("GRANT ALL ON tls_test.* TO 'worker'@'127.0.0.1'");
    } finally {
      await admin.end();
    }
    x509Url = `mysql://worker:worker-pw@localhost:${db.port}/tls_test`;
  });
  after(async () => {
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the worker's config and pool connect over TLS: every pooled connection has a cipher", async () => {
    const config = loadConfig({ MYSQL_URL: rootUrl, MYSQL_SSL_CA: certs.ca, STRIPE_SECRET_KEY: STRIPE_KEY, TEMPORAL_CODEC: 'off' });
    assert.equal(config.mysqlTls?.mode, 'verify-identity');
    const pool = createPool(config.mysqlUrl, { connectionLimit: 3, tls: config.mysqlTls });
    try {
      await checkDatabase(pool);
      // Three at once, so that three connections are opened and each is checked.
      const [a, b, c] = await Promise.all([0, 1, 2].map(async () => {
        const connection = await pool.getConnection();
        try {
          const [rows] = await connection.query<RowDataPacket[]>("SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_cipher', 'Ssl_version')");
          return { ids: connection.threadId, status: Object.fromEntries(rows.map((r) => [String(r.Variable_name), String(r.Value)])) };
        } finally {
          // Held until all three have queried, so that they are distinct connections.
          await new Promise((r) => setTimeout(r, 200));
          connection.release();
        }
      }));
      assert.equal(new Set([a.ids, b.ids, c.ids]).size, 3);
      for (const { status } of [a, b, c]) {
        assert.notEqual(status.Ssl_cipher, '', 'a cipher is negotiated');
        assert.match(status.Ssl_version ?? '', /^TLSv1\.[23]$/);
      }
      // And the session time zone setup still runs on TLS connections.
      const [[tz]] = await pool.query<RowDataPacket[]>('SELECT @@session.time_zone AS tz');
      assert.equal(tz?.tz, '+00:00');
    } finally {
      await pool.end();
    }
  });

  it('migrations run over TLS, and ssl-* URL parameters with a client certificate work for a REQUIRE X509 user', async () => {
    const withParams = `${x509Url}?ssl-ca=${encodeURIComponent(certs.ca)}&ssl-cert=${encodeURIComponent(certs.clientCert)}&ssl-key=${encodeURIComponent(certs.clientKey)}`;
    const applied = await migrate(withParams);
    assert.ok(applied.length > 0, 'the schema was created through the TLS connection');

    const { mysqlUrl, mysqlTls } = loadDatabaseConfig({ MYSQL_URL: withParams });
    assert.equal(mysqlTls?.mode, 'verify-identity');
    const pool = createPool(mysqlUrl, { connectionLimit: 1, tls: mysqlTls });
    try {
      assert.notEqual(await sslCipher(pool), '');
      const [[row]] = await pool.query<RowDataPacket[]>('SELECT CURRENT_USER() AS u, COUNT(*) AS n FROM invoice');
      assert.equal(row?.u, 'worker@127.0.0.1');
      assert.equal(row?.n, 0);
    } finally {
      await pool.end();
    }

    // The same user with TLS but no client certificate is refused by the server.
    const noCert = createPool(x509Url, { connectionLimit: 1, tls: loadDatabaseConfig({ MYSQL_URL: x509Url, MYSQL_SSL_CA: certs.ca }).mysqlTls });
    try {
      await assert.rejects(checkDatabase(noCert), /refused user "worker" \(ER_ACCESS_DENIED_ERROR\)/);
    } finally {
      await noCert.end();
    }
  });

  it('without TLS settings the server refuses the worker, and the message says to configure TLS', async () => {
    const pool = createPool(rootUrl, { connectionLimit: 1 });
    try {
      await assert.rejects(checkDatabase(pool), (err: Error) => {
        // MariaDB answers "access denied" (MySQL 8: ER_SECURE_TRANSPORT_REQUIRED); either way TLS is named.
        assert.match(err.message, new RegExp(`^MySQL at localhost:${db.port}/tls_test (requires TLS|refused user "root")`));
        assert.match(err.message, /requires TLS/);
        assert.match(err.message, /MYSQL_SSL_CA/);
        assert.match(err.message, /ER_ACCESS_DENIED_ERROR|ER_SECURE_TRANSPORT_REQUIRED/);
        return true;
      });
    } finally {
      await pool.end();
    }
  });

  it('with TLS configured, a server certificate from a different CA is refused with a clear message', async () => {
    const config = loadConfig({ MYSQL_URL: rootUrl, MYSQL_SSL_CA: certs.otherCa, STRIPE_SECRET_KEY: STRIPE_KEY, TEMPORAL_CODEC: 'off' });
    const pool = createPool(config.mysqlUrl, { connectionLimit: 1, tls: config.mysqlTls });
    try {
      await assert.rejects(checkDatabase(pool), (err: Error) => {
        assert.match(err.message, new RegExp(`^TLS to MySQL at localhost:${db.port}/tls_test failed`));
        assert.match(err.message, /certificate is not signed by the CA in MYSQL_SSL_CA/);
        return true;
      });
    } finally {
      await pool.end();
    }
    // By IP address the name cannot be checked: verify-ca still checks the chain.
    const byIp = createPool(db.url, { connectionLimit: 1, tls: loadDatabaseConfig({ MYSQL_URL: db.url, MYSQL_SSL_CA: certs.ca, MYSQL_SSL_MODE: 'verify-ca' }).mysqlTls });
    try {
      assert.notEqual(await sslCipher(byIp), '');
    } finally {
      await byIp.end();
    }
    const byIpWrongCa = createPool(db.url, { connectionLimit: 1, tls: loadDatabaseConfig({ MYSQL_URL: db.url, MYSQL_SSL_CA: certs.otherCa, MYSQL_SSL_MODE: 'verify-ca' }).mysqlTls });
    try {
      await assert.rejects(checkDatabase(byIpWrongCa), /not signed by the CA in MYSQL_SSL_CA/);
    } finally {
      await byIpWrongCa.end();
    }
    // `required` encrypts without verifying: the same CA mismatch is not checked, by design.
    const required = createPool(rootUrl, { connectionLimit: 1, tls: loadDatabaseConfig({ MYSQL_URL: rootUrl, MYSQL_SSL_MODE: 'required' }).mysqlTls });
    try {
      assert.notEqual(await sslCipher(required), '');
    } finally {
      await required.end();
    }
  });

  it('the worker process starts against the TLS server when configured, and exits with the TLS error when the CA is wrong', async function () {
    this.timeout(STACK_START_TIMEOUT_MS + 120_000);
    const stack = await getTestStack();
    const good = await runWorker({ ...stack.env, MYSQL_URL: rootUrl, MYSQL_SSL_CA: certs.ca });
    assert.ok(good.ready, `the worker became ready over TLS; output:\n${good.output}`);
    assert.match(good.output, /MySQL over TLS \(verify-identity/);

    const wrongCa = await runWorker({ ...stack.env, MYSQL_URL: rootUrl, MYSQL_SSL_CA: certs.otherCa });
    assert.equal(wrongCa.ready, false);
    assert.equal(wrongCa.code, 1);
    assert.match(wrongCa.output, /worker failed: TLS to MySQL at localhost:\d+\/tls_test failed .*not signed by the CA in MYSQL_SSL_CA/);
  });
});

describe('TLS to MySQL: settings are checked at start-up', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mysql-tls-config-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=t', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'pipe' });
    writeFileSync(path.join(dir, 'garbage.pem'), 'not a certificate\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base = { MYSQL_URL: 'mysql://app:pw@db.example:3306/invoices', STRIPE_SECRET_KEY: STRIPE_KEY, TEMPORAL_CODEC: 'off' };
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ ...base, ...env });
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it('names a missing, unreadable or malformed file and the variable that points at it', () => {
    assert.deepEqual(problems({ MYSQL_SSL_CA: path.join(dir, 'nope.pem') }), [`MYSQL_SSL_CA: cannot read ${path.join(dir, 'nope.pem')} (no such file)`]);
    assert.deepEqual(problems({ MYSQL_SSL_CA: dir }), [`MYSQL_SSL_CA: cannot read ${dir} (is a directory)`]);
    assert.deepEqual(problems({ MYSQL_SSL_CA: path.join(dir, 'garbage.pem') }), [
      `MYSQL_SSL_CA: ${path.join(dir, 'garbage.pem')} is not a PEM certificate (the CA that signed the server certificate)`,
    ]);
    // A certificate where the key belongs is caught, and the message never quotes the file.
    const wrong = problems({ MYSQL_SSL_CERT: path.join(dir, 'c.pem'), MYSQL_SSL_KEY: path.join(dir, 'c.pem') });
    assert.deepEqual(wrong, [`MYSQL_SSL_KEY: ${path.join(dir, 'c.pem')} is not a PEM private key (without a passphrase)`]);
    const u = `${base.MYSQL_URL}?ssl-ca=${encodeURIComponent('/no/such/ca.pem')}`;
    assert.deepEqual(problems({ MYSQL_URL: u }), ["MYSQL_URL's ssl-ca parameter: cannot read /no/such/ca.pem (no such file)"]);
  });

  it('refuses contradictions: a certificate without its key, an unknown mode, disabled with a CA, env and URL disagreeing, a raw ssl parameter', () => {
    assert.match(problems({ MYSQL_SSL_CERT: path.join(dir, 'c.pem') })[0] ?? '', /^MYSQL_SSL_CERT is set without MYSQL_SSL_KEY/);
    assert.deepEqual(problems({ MYSQL_SSL_MODE: 'prefer' }), ['MYSQL_SSL_MODE must be one of disabled, required, verify-ca, verify-identity']);
    assert.match(problems({ MYSQL_SSL_MODE: 'disabled', MYSQL_SSL_CA: path.join(dir, 'c.pem') })[0] ?? '', /is disabled but a CA or client certificate is set/);
    assert.deepEqual(problems({ MYSQL_URL: `${base.MYSQL_URL}?ssl-mode=required`, MYSQL_SSL_MODE: 'verify-ca' }), [
      'MYSQL_SSL_MODE and the ssl-mode parameter of MYSQL_URL disagree; set only one',
    ]);
    assert.match(problems({ MYSQL_URL: `${base.MYSQL_URL}?ssl={"rejectUnauthorized":true}` })[0] ?? '', /has an "ssl" parameter: use ssl-mode, ssl-ca/);
    // The driver cannot check an IP against the certificate: verify-identity there is refused.
    assert.match(problems({ MYSQL_URL: 'mysql://app@10.0.0.5:3306/invoices', MYSQL_SSL_CA: path.join(dir, 'c.pem') })[0] ?? '', /host 10\.0\.0\.5 is an IP address.*set MYSQL_SSL_MODE=verify-ca/);
    assert.deepEqual(problems({ MYSQL_URL: 'mysql://app@10.0.0.5:3306/invoices', MYSQL_SSL_CA: path.join(dir, 'c.pem'), MYSQL_SSL_MODE: 'verify-ca' }), []);
  });

  it('maps modes to driver options; the private key stays out of JSON and the URL loses its ssl-* parameters', () => {
    const mode = (m: string) => {
      const { tls } = resolveMysqlTls(base.MYSQL_URL, { MYSQL_SSL_MODE: m });
      assert.ok(tls);
      const o = mysqlSslOptions(tls);
      return { rejectUnauthorized: o.rejectUnauthorized, verifyIdentity: o.verifyIdentity };
    };
    assert.deepEqual(mode('required'), { rejectUnauthorized: false, verifyIdentity: false });
    assert.deepEqual(mode('VERIFY_CA'), { rejectUnauthorized: true, verifyIdentity: false });
    assert.deepEqual(mode('verify-identity'), { rejectUnauthorized: true, verifyIdentity: true });
    assert.equal(resolveMysqlTls(base.MYSQL_URL, {}).tls, undefined, 'TLS is off unless asked for');

    const config = loadConfig({ ...base, MYSQL_SSL_CERT: path.join(dir, 'c.pem'), MYSQL_SSL_KEY: path.join(dir, 'k.pem') });
    assert.ok(config.mysqlTls?.key, 'the key is loaded');
    const serialised = JSON.parse(JSON.stringify(config)) as { mysqlTls: Record<string, unknown> };
    assert.deepEqual(Object.keys(serialised.mysqlTls).sort(), ['cert', 'files', 'mode']);
  });
});
