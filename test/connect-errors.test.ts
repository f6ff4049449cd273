import { strict as assert } from 'node:assert';
import { NativeConnection } from '@temporalio/worker';
import { checkDatabase, createPool } from '../src/db/pool';
import { classifyMysqlError, explainMysqlError } from '../src/db/connect-errors';
import { classifyTemporalConnectError, explainTemporalConnectError } from '../src/temporal-connect-errors';
import { getTestStack, STACK_START_TIMEOUT_MS } from './support/stack';

/** checkDatabase's message for `url`, through the real driver. */
async function startUpMessage(url: string): Promise<string> {
  const pool = createPool(url, { connectionLimit: 1 });
  try {
    await checkDatabase(pool);
  } catch (err) {
    return (err as Error).message;
  } finally {
    await pool.end();
  }
  throw new Error(`expected ${url} to fail`);
}

describe('start-up errors say what to fix', function () {
  this.timeout(STACK_START_TIMEOUT_MS);

  it('tells a wrong password, an unknown database, TLS and an unreachable MySQL apart, never printing the password', async () => {
    const stack = await getTestStack();
    const url = new URL(stack.mysql.url);
    const withUrl = (change: (u: URL) => void) => {
      const u = new URL(url);
      change(u);
      return u.toString();
    };

    const wrongPassword = await startUpMessage(withUrl((u) => { u.password = 'hunter2-wrong'; }));
    assert.match(wrongPassword, new RegExp(`^MySQL at 127\\.0\\.0\\.1:${url.port}/invoices refused user "root" \\(ER_ACCESS_DENIED_ERROR\\): wrong user name or password; fix them in MYSQL_URL \\(or, if the server requires TLS, set MYSQL_SSL_CA or MYSQL_SSL_MODE\\)$`));
    assert.ok(!wrongPassword.includes('hunter2'));

    const unknownDb = await startUpMessage(withUrl((u) => { u.pathname = '/invoicez'; }));
    assert.match(unknownDb, /^MySQL at 127\.0\.0\.1:\d+\/invoicez has no such database \(ER_BAD_DB_ERROR\): create it or fix the database name in MYSQL_URL/);

    const refused = await startUpMessage('mysql://root:hunter2@127.0.0.1:1/invoices');
    assert.equal(refused, 'cannot reach MySQL at 127.0.0.1:1/invoices (ECONNREFUSED): is it running? check the host and port in MYSQL_URL');

    const unknownHost = await startUpMessage('mysql://root:hunter2@no-such-host.invalid:3306/invoices');
    assert.match(unknownHost, /^cannot reach MySQL at no-such-host\.invalid:3306\/invoices \((ENOTFOUND|EAI_AGAIN)\)/);

    // The private MariaDB has no TLS: a client that insists on it must say so, not "is it running?".
    const tls = await startUpMessage(withUrl((u) => { u.searchParams.set('ssl-mode', 'required'); }));
    assert.match(tls, /^TLS to MySQL at 127\.0\.0\.1:\d+\/invoices failed \(HANDSHAKE_NO_SSL_SUPPORT/);
    for (const m of [wrongPassword, unknownDb, refused, unknownHost, tls]) assert.ok(!m.includes('hunter2'), m);
  });

  it('classifies driver error codes it cannot provoke locally', () => {
    assert.equal(classifyMysqlError(Object.assign(new Error('x'), { code: 'ER_DBACCESS_DENIED_ERROR' })), 'no-privilege');
    assert.equal(classifyMysqlError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })), 'unreachable');
    assert.equal(classifyMysqlError(Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })), 'tls');
    assert.equal(classifyMysqlError(new AggregateError([Object.assign(new Error(''), { code: 'ECONNREFUSED' })], '')), 'unreachable');
    assert.match(explainMysqlError(Object.assign(new Error(''), { code: 'ER_HOST_NOT_PRIVILEGED' }), 'db:3306/x').message, /GRANT/);
    assert.equal(classifyTemporalConnectError(Object.assign(new Error('Request unauthorized'), { code: 16 })), 'auth');
    assert.equal(classifyTemporalConnectError(new Error('Failed to connect before the deadline')), 'unreachable');
  });

  it('tells an unreachable Temporal, an unknown host and a TLS mismatch apart', async () => {
    const stack = await getTestStack();
    const attempt = async (address: string, tls: boolean): Promise<string> => {
      try {
        await (await NativeConnection.connect({ address, tls })).close();
      } catch (err) {
        return explainTemporalConnectError(err, address).message;
      }
      throw new Error(`expected ${address} to fail`);
    };
    assert.match(await attempt('127.0.0.1:1', false), /^cannot reach Temporal at 127\.0\.0\.1:1: is the server running\?/);
    assert.match(await attempt('no-such-host.invalid:7233', false), /^cannot resolve the host of TEMPORAL_ADDRESS/);
    assert.match(await attempt(stack.temporal.address, true), /^TLS handshake with Temporal at 127\.0\.0\.1:\d+ failed/);
  });
});
