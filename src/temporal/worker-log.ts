/**
 * The worker's log: one line per entry (`<time> [LEVEL] message {json}`). The SDK's default
 * logger pretty-prints each entry's metadata over ~16 lines, and a worker's stdout is a pipe
 * (systemd's journal, a container runtime), which Node writes synchronously: at 100 charges/s the
 * multi-line form cost a quarter of the worker's main-thread time (BENCHMARKS.md). The opaque
 * task token is left out; the ids that find a run in the Web UI stay.
 */
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

export function formatLogLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = { ...entry.meta };
  delete meta.taskToken;
  const rest = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}` : '';
  return `${time} [${entry.level}] ${entry.message}${rest}\n`;
}

export function oneLineLogger(level: LogLevel = 'INFO'): DefaultLogger {
  return new DefaultLogger(level, (entry) => {
    process.stderr.write(formatLogLine(entry));
  });
}
