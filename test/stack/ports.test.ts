import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startMariaDb } from '../../dev/stack/mariadb';
import { assertPortFree, findFreePort, isPortFree } from '../../dev/stack/ports';
import { startStack, type Stack } from '../../dev/stack/stack';
import { startTemporalServer } from '../../dev/stack/temporal-server';
import { getTestStack, STACK_START_TIMEOUT_MS } from '../support/stack';

describe('stack: ports', function () {
  this.timeout(STACK_START_TIMEOUT_MS);
  let stack: Stack;
  let dataDir: string;

  before(async () => {
    stack = await getTestStack();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ports-test-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('findFreePort gives distinct ports that are free', async () => {
    const ports = await Promise.all([findFreePort(), findFreePort(), findFreePort()]);
    assert.equal(new Set(ports).size, 3);
    for (const port of ports) assert.ok(await isPortFree(port));
  });

  it('assertPortFree names the service and the env var to change', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      await assert.rejects(assertPortFree(port, 'Temporal'), {
        message: `port ${port} (Temporal) is already in use; set TEMPORAL_PORT or stop the other process`,
      });
    } finally {
      server.close();
    }
  });

  it('a second Temporal server on a taken port fails with the clear message', async () => {
    const port = stack.temporal.port;
    await assert.rejects(startTemporalServer({ dataDir, port, ui: false }), {
      message: `port ${port} (Temporal) is already in use; set TEMPORAL_PORT or stop the other process`,
    });
  });

  it('a second MariaDB on a taken port fails with the clear message', async () => {
    const port = stack.mysql.port;
    await assert.rejects(startMariaDb({ dataDir: path.join(dataDir, 'mysql'), port, database: 'x' }), {
      message: `port ${port} (MariaDB) is already in use; set MYSQL_PORT or stop the other process`,
    });
  });

  it('a second stack on taken ports fails before starting anything', async () => {
    await assert.rejects(
      startStack({ dataDir, ui: false, ports: { temporal: stack.temporal.port }, freePorts: true }),
      /port \d+ \(Temporal\) is already in use; set TEMPORAL_PORT/,
    );
  });
});
