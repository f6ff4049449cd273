import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/temporal';

// Recorded from a real demo run (RECORD_HISTORY_FIXTURE=1 npx mocha test/e2e/demo-run.test.ts -g "exactly once").
// A workflow change that would break executions already running fails this test. From the first
// release on, follow docs/versioning.md (Worker Versioning for the charging run) instead of re-recording.
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'charge-run-history.json');

describe('workflow determinism: replay of a recorded charging run', function () {
  this.timeout(120_000);

  it('replays the recorded history without non-determinism', async () => {
    const history = historyFromJSON(JSON.parse(readFileSync(FIXTURE, 'utf8')));
    assert.ok((history.events?.length ?? 0) > 20, 'fixture holds a full run');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history);
  });

  it('detects a workflow that no longer matches the history', async () => {
    const json = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { events: Array<{ activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }> };
    const scheduled = json.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'chargeInvoice');
    assert.ok(scheduled?.activityTaskScheduledEventAttributes?.activityType);
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'somethingElse';
    await assert.rejects(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, historyFromJSON(json)), /[Nn]ondetermin/);
  });
});
