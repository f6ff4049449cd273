/** Linux /proc readings of one process: CPU time (all threads) and resident memory. */
import { readFileSync, writeFileSync } from 'node:fs';

/** Kernel clock ticks per second (`getconf CLK_TCK`): 100 on every Linux we run on. */
const CLK_TCK = 100;

export interface ProcSample {
  /** utime + stime of the process (all its threads), in seconds. */
  cpuSeconds: number;
  rssMb: number;
  /** VmHWM: the peak resident set since start or since the last resetPeak(). */
  peakRssMb: number;
}

export function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { cpuSeconds: (utime + stime) / CLK_TCK, rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS (`echo 5 > /proc/PID/clear_refs`), so a phase's peak can be read. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Polls a process's RSS while a phase runs: VmHWM gives the peak, this gives the shape. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  readonly samples: Array<{ tMs: number; rssMb: number }> = [];
  private readonly started = Date.now();

  constructor(private readonly pid: number, private readonly everyMs = 2_000) {}

  start(): this {
    this.timer = setInterval(() => {
      const s = readProc(this.pid);
      if (s) this.samples.push({ tMs: Date.now() - this.started, rssMb: Math.round(s.rssMb) });
    }, this.everyMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** CPU and peak memory of a set of processes over one phase. */
export class PhaseMeter {
  private readonly before = new Map<number, ProcSample | undefined>();
  private readonly busyBefore = machineBusySeconds();
  private readonly startedMs = Date.now();

  constructor(private readonly pids: number[]) {
    for (const pid of pids) {
      resetPeak(pid);
      this.before.set(pid, readProc(pid));
    }
  }

  /**
   * CPU the rest of the machine used meanwhile (other engineers' tests), in cores on average:
   * machine busy time minus this phase's processes, over the wall time.
   */
  otherLoadCores(measured: Map<number, { cpuSeconds: number }>): number {
    const ours = [...measured.values()].reduce((sum, m) => sum + m.cpuSeconds, 0);
    const wall = (Date.now() - this.startedMs) / 1000;
    return wall > 0 ? Math.max(0, (machineBusySeconds() - this.busyBefore - ours) / wall) : 0;
  }

  /** Per pid: CPU seconds used in the phase, peak RSS in the phase, RSS now. */
  end(): Map<number, { cpuSeconds: number; peakRssMb: number; rssMb: number }> {
    const out = new Map<number, { cpuSeconds: number; peakRssMb: number; rssMb: number }>();
    for (const pid of this.pids) {
      const a = this.before.get(pid);
      const b = readProc(pid);
      if (!a || !b) continue;
      out.set(pid, { cpuSeconds: b.cpuSeconds - a.cpuSeconds, peakRssMb: b.peakRssMb, rssMb: b.rssMb });
    }
    return out;
  }
}

/** Busy CPU seconds of the whole machine (all cores) from /proc/stat: user+nice+system+irq+softirq+steal. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
  } catch {
    return 0;
  }
}
