import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What `stack up` records in `<dataDir>/stack.json` so that `down` and `status` can find it. */
export interface StackState {
  /** The `stack up` process: stopping it stops everything cleanly. */
  pid: number;
  startedAt: string;
  ready: boolean;
  services: {
    temporal?: { pid: number; address: string; uiUrl?: string; logFile: string };
    mysql?: { pid: number; url: string; port: number; logFile: string };
    stripe?: { url: string };
  };
  env: Record<string, string>;
}

export const stateFile = (dataDir: string) => path.join(dataDir, 'stack.json');

export function readState(dataDir: string): StackState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

export function writeState(dataDir: string, state: StackState): void {
  writeFileSync(stateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`);
}

export function removeState(dataDir: string, pid: number): void {
  // Only the owner removes it: a second `up` that failed must not erase the running one's record.
  if (readState(dataDir)?.pid === pid) rmSync(stateFile(dataDir), { force: true });
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid still runs `pattern` (pids are reused: never signal a stranger). */
export function isProcessOf(pid: number | undefined, pattern: RegExp): boolean {
  if (!pid || !isAlive(pid)) return false;
  try {
    return pattern.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc: trust the pid
  }
}
