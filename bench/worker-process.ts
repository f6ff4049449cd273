/**
 * Worker processes for the benchmark: the production worker (`src/worker.ts`) or the no-op bench
 * worker, each its own Node process (so its CPU time and peak RSS can be read from /proc), started
 * with the stack's environment and stopped with SIGTERM (the worker drains, then exits).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { readProc } from './proc-stats';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const PRODUCTION_WORKER = path.join(PROJECT_ROOT, 'src', 'worker.ts');
export const NOOP_WORKER = path.join(PROJECT_ROOT, 'bench', 'noop', 'worker.ts');

export interface WorkerProcess {
  pid: number;
  /** CPU seconds and peak RSS (VmHWM) from start until it was ready to poll: bundling included. */
  startup: { cpuSeconds: number; peakRssMb: number; ms: number };
  stop(): Promise<void>;
}

/** Starts `node --import tsx <entry>` and resolves when it prints that it polls. */
export async function startWorkerProcess(
  entry: string,
  env: Record<string, string>,
  logFile: string,
  timeoutMs = 180_000,
): Promise<WorkerProcess> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stderr?.pipe(log);
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`worker ${entry} not ready within ${timeoutMs / 1000}s; see ${logFile}`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (output.length < 10_000) output += chunk.toString('utf8');
      if (/worker polling task queue/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => fail(new Error(`worker ${entry} exited with ${code} before it was ready; see ${logFile}`)));
  });
  const pid = child.pid ?? 0;
  const ready = readProc(pid);
  return {
    pid,
    startup: { cpuSeconds: ready?.cpuSeconds ?? 0, peakRssMb: ready?.peakRssMb ?? 0, ms: Date.now() - started },
    stop: () => stopChild(child, exited, log),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>, log: NodeJS.WritableStream): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
  log.end();
}
