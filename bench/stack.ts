/**
 * The bench's private stack: dev/stack's startStack on free ports, with the server's dynamic
 * config (the bench sets the number of task-queue partitions: the task-queue rate limit is split
 * evenly over them, see BENCHMARKS.md) and no simulator request log (100k lines).
 */
import { startStack, type Stack } from '../dev/stack/stack';
import { DEFAULT_API_KEY } from '../dev/stripe-simulator';
import { BENCH_LIVE_KEY } from './scenarios';

export function startBenchStack(dataDir: string, dynamicConfig: Record<string, unknown>, temporalDb: 'file' | 'memory' = 'file'): Promise<Stack> {
  return startStack({
    dataDir,
    freePorts: true,
    ui: false,
    temporalDynamicConfig: dynamicConfig,
    temporalDb,
    simulatorRequestLog: false,
    // The bench sets the rate limit and latency per scenario.
    stripe: { rateLimitPerSecond: 100, apiKeys: [DEFAULT_API_KEY, BENCH_LIVE_KEY] },
  });
}
