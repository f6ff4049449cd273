/**
 * One real worker process (`tsx src/worker.ts`, as `npm run worker` starts it) that the chaos
 * suite can SIGKILL and start again. Its stdout and stderr go to a log file that outlives it,
 * so the suite can read every line it printed (the secret-key check reads them all).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');
/** The line src/worker.ts prints once it polls. */
const READY = /worker polling task queue/;

/** Workers still running when the test process exits (mocha --exit, a crash) die with it. */
const live = new Set<WorkerProcess>();
process.once('exit', () => {
  for (const worker of live) worker.killNow();
});

export interface WorkerProcessOptions {
  name: string;
  /** The worker's whole environment (config is read from it); PATH and HOME are added. */
  env: Record<string, string>;
  logFile: string;
  /** Start-up (tsx, workflow bundling, pre-flight checks) on a loaded 2-core box. */
  readyTimeoutMs?: number;
  /** Starts tried before giving up (default 5: its Stripe key check can meet an injected 500 or 429). */
  startAttempts?: number;
}

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** How many times this worker was SIGKILLed. */
  kills = 0;
  starts = 0;

  constructor(readonly options: WorkerProcessOptions) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts the process and resolves once it polls the task queue. A start that dies before
   * polling is tried again, as a supervisor would: the worker's start-up key check can meet an
   * injected Stripe fault, and other engineers' edits to the tree can break one bundling.
   */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.startOnce();
      } catch (err) {
        if (attempt >= (this.options.startAttempts ?? 5) || this.running) throw err;
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  }

  private async startOnce(): Promise<void> {
    if (this.running) throw new Error(`${this.options.name} is already running`);
    const { logFile, env, name } = this.options;
    mkdirSync(path.dirname(logFile), { recursive: true });
    const logOffset = fileLength(logFile);
    const fd = openSync(logFile, 'a');
    writeSync(fd, `\n=== ${new Date().toISOString()} starting ${name}\n`);
    try {
      // Its own process group: tsx runs node as a child, and a kill must take both, like a crash.
      this.child = spawn(TSX, ['src/worker.ts'], {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        stdio: ['ignore', fd, fd],
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    const child = this.child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.starts += 1;
    live.add(this);
    void this.exited.then(() => live.delete(this));
    await this.waitReady(logOffset);
  }

  /** SIGKILL to the worker's process group: no shutdown, in-flight activities are abandoned. */
  async kill(): Promise<void> {
    if (!this.running || this.child?.pid === undefined) return;
    process.kill(-this.child.pid, 'SIGKILL');
    this.kills += 1;
    await this.exited;
  }

  /** SIGTERM (the worker drains and exits), then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running || this.child?.pid === undefined) return;
    const pgid = -this.child.pid;
    process.kill(pgid, 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** For process exit handlers: no waiting. */
  killNow(): void {
    if (!this.running || this.child?.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  log(): string {
    return readFileSync(this.options.logFile, 'utf8');
  }

  private async waitReady(logOffset: number): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 120_000);
    while (Date.now() < deadline) {
      const printed = this.log().slice(logOffset);
      if (READY.test(printed)) return;
      if (!this.running) throw new Error(`${this.options.name} exited before polling:\n${printed.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await this.kill();
    throw new Error(`${this.options.name} did not start polling within ${this.options.readyTimeoutMs ?? 120_000} ms`);
  }
}

function fileLength(file: string): number {
  try {
    return readFileSync(file).length;
  } catch {
    return 0;
  }
}

