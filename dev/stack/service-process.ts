import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Children still running when this process exits without stopping them (mocha --exit, a crash)
 * get SIGTERM: they run in their own process group, so they still shut down cleanly after we
 * are gone instead of lingering.
 */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGTERM');
});

/** The last lines of a log file (from byte `fromOffset` on), for error messages. */
export function tailLog(file: string, lines = 30, fromOffset = 0): string {
  try {
    const text = readFileSync(file).subarray(fromOffset).toString('utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n') || '(empty)';
  } catch {
    return '(no log)';
  }
}

export function withLogTail(message: string, logFile: string, fromOffset = 0): Error {
  return new Error(`${message}\n--- last lines of ${logFile} ---\n${tailLog(logFile, 30, fromOffset)}\n---`);
}

export interface ServiceProcessSpec {
  /** For messages: "Temporal", "MariaDB". */
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  /** Run as this user (when we are root): PostgreSQL refuses to run as root. */
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
  /** Default SIGTERM; PostgreSQL's fast shutdown is SIGINT (SIGTERM waits for every client). */
  stopSignal?: NodeJS.Signals;
}

/**
 * One child process whose stdout and stderr go to a log file (not a pipe: the log outlives us
 * and never blocks the child). It runs in its own process group, so Ctrl-C in a terminal
 * reaches only the stack CLI, which then stops the services in order.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();
  private ended = true;
  /** Where this start's output begins in the log: errors show only that. */
  logOffset = 0;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;

  constructor(readonly spec: ServiceProcessSpec) {}

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get running(): boolean {
    return !this.ended;
  }

  start(): void {
    const { name, command, args, logFile, cwd, uid, gid, env } = this.spec;
    mkdirSync(path.dirname(logFile), { recursive: true });
    const fd = openSync(logFile, 'a');
    this.logOffset = fstatSync(fd).size;
    writeSync(fd, `\n=== ${new Date().toISOString()} starting ${name}: ${command} ${args.join(' ')}\n`);
    let child: ChildProcess;
    try {
      child = spawn(command, args, { cwd, env, uid, gid, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.ended = false;
    this.exitCode = null;
    this.exitSignal = null;
    live.add(child);
    this.exit = new Promise((resolve) => {
      const done = () => {
        this.ended = true;
        live.delete(child);
        resolve();
      };
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        done();
      });
      child.on('error', (err) => {
        writeSafe(logFile, `${name}: ${err.message}\n`);
        // Also emitted when a signal cannot be sent; only a failed spawn means "never ran".
        if (child.pid === undefined) {
          this.exitCode = -1;
          done();
        }
      });
    });
  }

  /** Resolves when the process has exited (at once if it never started). */
  exited(): Promise<void> {
    return this.exit;
  }

  /** Send a signal (chaos: SIGKILL a service mid-run); resolves when it has exited. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child && this.running) this.child.kill(signal);
    await this.exit;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return this.exit;
    child.kill(this.spec.stopSignal ?? 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }

  describeExit(): string {
    return this.exitSignal ? `was killed by ${this.exitSignal}` : `exited with code ${this.exitCode}`;
  }
}

function writeSafe(file: string, text: string): void {
  try {
    const fd = openSync(file, 'a');
    writeSync(fd, text);
    closeSync(fd);
  } catch {
    // best effort: only for diagnostics
  }
}

/**
 * Polls `ready` until it returns true. Fails early, with the log's tail, when the process exits,
 * and after `timeoutMs` (generous: a loaded 2-core box can take tens of seconds).
 */
export async function waitUntilReady(
  proc: ServiceProcess,
  ready: () => Promise<boolean>,
  { timeoutMs, intervalMs = 250 }: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const { name, logFile } = proc.spec;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) {
      throw withLogTail(`${name} ${proc.describeExit()} before it was ready`, logFile, proc.logOffset);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      await proc.stop(5_000);
      throw withLogTail(`${name} did not become ready within ${Math.round(timeoutMs / 1000)}s`, logFile, proc.logOffset);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
