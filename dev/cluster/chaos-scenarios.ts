/**
 * Chaos on the cluster's own parts: the history and matching services SIGKILLed mid-run (and
 * started again, as a supervisor would), PostgreSQL restarted under load, a scheduled run beside
 * an ad-hoc one with a worker process killed. Stripe faults (light) throughout, as in the chaos suite.
 */
import { sleep } from '../chaos/runs';
import type { Scenario } from '../chaos/scenarios';
import { SLOW_RESPONSE_MS } from '../chaos/scenarios';
import type { ClusterService, TemporalCluster } from './cluster';

const LIGHT = {
  error500Rate: 0.02, rateLimit429Rate: 0.02, resetBeforeRate: 0.02, dropAfterCommitRate: 0.02, slowResponseRate: 0.01,
  slowResponseMs: SLOW_RESPONSE_MS,
};

export function clusterScenarios(cluster: TemporalCluster): Scenario[] {
  const killAndRestart = async (service: ClusterService, downMs: number) => {
    await cluster.services[service].kill('SIGKILL');
    await sleep(downMs);
    await cluster.startService(service);
  };
  return [
    {
      name: 'history SIGKILL mid-run, restarted',
      faults: LIGHT,
      async drive(ctx) {
        await ctx.startRun();
        await ctx.waitForProgress(0.3);
        await ctx.inject('history SIGKILL', () => killAndRestart('history', 3_000));
      },
    },
    {
      name: 'matching SIGKILL mid-run, restarted',
      faults: LIGHT,
      async drive(ctx) {
        await ctx.startRun();
        await ctx.waitForProgress(0.3);
        await ctx.inject('matching SIGKILL', () => killAndRestart('matching', 3_000));
      },
    },
    {
      name: 'PostgreSQL restart mid-run',
      faults: LIGHT,
      async drive(ctx) {
        await ctx.startRun();
        await ctx.waitForProgress(0.3);
        await ctx.inject('PostgreSQL restart', () => cluster.postgres.restart());
      },
    },
    {
      name: 'scheduled + ad-hoc run, worker SIGKILL',
      faults: LIGHT,
      async drive(ctx) {
        await Promise.all([ctx.startScheduledRun(), ctx.startRun()]);
        ctx.noteOverlap(2);
        await ctx.waitForProgress(0.3);
        await ctx.killWorker(0);
        await ctx.workersBack();
      },
    },
  ];
}
