/**
 * What a scenario can do while its runs are going: start runs, watch progress, and break
 * things — SIGKILL a worker process, restart MariaDB or the Temporal server, terminate a run.
 * Every process fault is counted, so the table shows what was actually injected.
 */
import type { RowDataPacket } from 'mysql2/promise';
import type { ChaosStack } from './harness';
import type { Pool } from '../../src/db/pool';
import { sleep, startRun, terminateRun, triggerScheduledRun, type RunRecord, type RunStarter } from './runs';
import type { WorkerProcess } from './worker-process';

export class ScenarioContext {
  readonly runs: RunRecord[] = [];
  readonly processFaults: Record<string, number> = {};
  /** When each process fault hit, as progress through the data set: "worker SIGKILL at 16%". */
  readonly timeline: string[] = [];
  /** Restarts of killed workers, awaited before the scenario is judged. */
  private readonly restarts: Array<Promise<void>> = [];
  private lastProgress = 0;
  private started = 0;

  constructor(
    readonly name: string,
    readonly invoices: number,
    private readonly stack: ChaosStack,
    private readonly db: Pool,
    private readonly starter: RunStarter,
    readonly workers: WorkerProcess[],
  ) {}

  async startRun(): Promise<RunRecord> {
    this.started += 1; // before the await: runs started together need distinct ids
    const run = await startRun(this.starter, 'ad-hoc', `chaos-${slug(this.name)}-${this.started}-${Date.now()}`);
    this.runs.push(run);
    return run;
  }

  async startScheduledRun(): Promise<RunRecord> {
    const run = await triggerScheduledRun(this.starter, `chaos-${slug(this.name)}-${Date.now()}`);
    this.runs.push(run);
    return run;
  }

  /** Share of the data set that has an attempt (claimed or decided); the last value while the DB is down. */
  async progress(): Promise<number> {
    try {
      const [rows] = await this.db.query<RowDataPacket[]>('SELECT COUNT(DISTINCT invoice_id) AS n FROM payment_attempt');
      this.lastProgress = Number(rows[0]?.n ?? 0) / this.invoices;
    } catch {
      // MariaDB is restarting: keep the last value
    }
    return this.lastProgress;
  }

  /** Waits until `fraction` of the invoices were reached, or `timeoutMs` passed (then acts anyway). */
  async waitForProgress(fraction: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && (await this.progress()) < fraction) await sleep(150);
  }

  /** SIGKILL a worker process mid-run; it is started again in the background (as a supervisor would). */
  async killWorker(index: number, restartAfterMs = 500): Promise<void> {
    const worker = this.workers[index];
    await worker.kill();
    this.count('worker SIGKILL');
    const restart = sleep(restartAfterMs).then(() => worker.start());
    restart.catch(() => undefined); // observed in workersBack(); no unhandled rejection meanwhile
    this.restarts.push(restart);
  }

  async restartMariaDb(): Promise<void> {
    await this.stack.mysql.restart();
    this.count('MariaDB restart');
  }

  async restartTemporal(): Promise<void> {
    await this.stack.temporal.restart();
    this.count('Temporal restart');
  }

  /** Any other fault (the cluster's own services), counted and put on the timeline like the rest. */
  async inject(what: string, act: () => Promise<void>): Promise<void> {
    await act();
    this.count(what);
  }

  async terminate(run: RunRecord): Promise<void> {
    await terminateRun(run);
    this.count('run terminated');
  }

  /** Terminates what is still running (a scenario that failed half-way), so nothing leaks into the next one. */
  async terminateLeftovers(): Promise<number> {
    let terminated = 0;
    for (const run of this.runs) {
      if (run.terminated || run.summary || run.error) continue;
      await run.handle.terminate('chaos: scenario ended').then(() => { terminated += 1; }, () => undefined);
      run.terminated = true;
    }
    return terminated;
  }

  noteOverlap(runs: number): void {
    this.processFaults['overlapping runs'] = runs;
  }

  /** Every worker restarted by killWorker() is polling again. */
  async workersBack(): Promise<void> {
    await Promise.all(this.restarts);
  }

  private count(what: string): void {
    this.processFaults[what] = (this.processFaults[what] ?? 0) + 1;
    this.timeline.push(`${what} at ${Math.round(this.lastProgress * 100)}%`);
  }
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
}
