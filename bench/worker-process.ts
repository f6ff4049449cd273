/**
 * Worker processes for the benchmark: the production worker (`src/worker.ts`) or the no-op bench
 * worker, each its own Node process (so its CPU time and peak RSS can be read from /proc), started
 * with the stack's environment and stopped with SIGTERM (the worker drains, then exits).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { readProc } from './proc-stats';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
// Under lib/ (build output): ignored by git and ESLint.
const COMPILED_DIR = path.join(PROJECT_ROOT, 'lib', 'bench-worker');

export type WorkerKind = 'production' | 'noop';
/** compiled: tsc output run by plain node, as deployed; tsx: `node --import tsx src/worker.ts` (npm run worker). */
export type WorkerRuntime = 'compiled' | 'tsx';

/** Compiles src/ and bench/noop/ with tsc (bench/tsconfig.worker.json); a few seconds. */
export function compileWorkers(): void {
  rmSync(COMPILED_DIR, { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(PROJECT_ROOT, 'bench', 'tsconfig.worker.json')], { stdio: 'pipe' });
  } catch {
    // Type errors still emit JS (noEmitOnError false); only a missing output is fatal.
  }
  for (const kind of ['production', 'noop'] as const) {
    if (!existsSync(workerEntry(kind, 'compiled').at(-1) ?? '')) throw new Error(`tsc produced no ${kind} worker in ${COMPILED_DIR}`);
  }
}

/**
 * The V8 memory flags of `npm run worker` (package.json scripts.worker, e.g.
 * --max-old-space-size=256), so the bench's worker processes run as the documented one does.
 */
export function workerNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  return pkg.scripts?.worker?.match(/--max-[a-z-]+=\d+/g) ?? [];
}

/** The node arguments that start a worker of this kind. */
export function workerEntry(kind: WorkerKind, runtime: WorkerRuntime): string[] {
  const rel = kind === 'production' ? ['src', 'worker'] : ['bench', 'noop', 'worker'];
  return runtime === 'compiled'
    ? [...workerNodeFlags(), path.join(COMPILED_DIR, ...rel) + '.js']
    : [...workerNodeFlags(), '--import', 'tsx', path.join(PROJECT_ROOT, ...rel) + '.ts'];
}

export interface WorkerProcess {
  pid: number;
  /** CPU seconds and peak RSS (VmHWM) from start until it was ready to poll: bundling included. */
  startup: { cpuSeconds: number; peakRssMb: number; ms: number };
  stop(): Promise<void>;
}

/** Starts `node <args>` (see workerEntry) and resolves when it prints that it polls. */
export async function startWorkerProcess(
  nodeArgs: string[],
  env: Record<string, string>,
  logFile: string,
  timeoutMs = 180_000,
): Promise<WorkerProcess> {
  const started = Date.now();
  const entry = nodeArgs[nodeArgs.length - 1] ?? '';
  const child = spawn(process.execPath, nodeArgs, {
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
