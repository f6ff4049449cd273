import { strict as assert } from 'node:assert';
import { formatLogLine } from '../../src/temporal/worker-log';

describe('worker log lines', () => {
  it('puts an entry on one line with its metadata as JSON, without the task token', () => {
    const line = formatLogLine({
      level: 'INFO',
      message: 'invoice 7 paid',
      timestampNanos: 1_796_000_000_123_000_000n,
      meta: { invoiceId: 7, taskToken: 'CiQwMWEy…', workflowId: 'charge-run-daily', nested: { attempt: 1 } },
    });
    assert.equal(line.split('\n').length, 2, 'one line, newline-terminated');
    assert.ok(line.endsWith('\n'));
    assert.match(line, /^2026-\d\d-\d\dT[\d:.]+Z \[INFO\] invoice 7 paid \{/);
    const meta = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
    assert.deepEqual(meta, { invoiceId: 7, workflowId: 'charge-run-daily', nested: { attempt: 1 } });
  });

  it('writes no metadata part when there is none', () => {
    assert.equal(formatLogLine({ level: 'WARN', message: 'x', timestampNanos: 0n }), '1970-01-01T00:00:00.000Z [WARN] x\n');
  });
});
