/**
 * The chaos scenarios. Each one starts its runs, breaks things while they go, and returns;
 * the harness then waits for every run, recovers, and checks the invariants.
 */
import type { FaultConfig } from '../stripe-simulator';
import type { ScenarioContext } from './scenario-context';

export interface Scenario {
  name: string;
  /** Simulator faults for the whole scenario (rates per /v1 request). */
  faults: FaultConfig;
  drive(ctx: ScenarioContext): Promise<void>;
}

/** Slower than the worker's Stripe client timeout (STRIPE_TIMEOUT_MS in harness.ts). */
export const SLOW_RESPONSE_MS = 3_500;

const LIGHT: FaultConfig = {
  error500Rate: 0.02, rateLimit429Rate: 0.02, resetBeforeRate: 0.02, dropAfterCommitRate: 0.02, slowResponseRate: 0.01,
  slowResponseMs: SLOW_RESPONSE_MS,
};
const HEAVY: FaultConfig = {
  error500Rate: 0.06, rateLimit429Rate: 0.06, resetBeforeRate: 0.05, dropAfterCommitRate: 0.06, slowResponseRate: 0.04,
  slowResponseMs: SLOW_RESPONSE_MS,
};

export const SCENARIOS: Scenario[] = [
  {
    name: 'Stripe faults, all kinds at once',
    faults: HEAVY,
    async drive(ctx) {
      await ctx.startRun();
    },
  },
  {
    name: 'worker SIGKILL x3 mid-run',
    faults: LIGHT,
    async drive(ctx) {
      await ctx.startRun();
      await ctx.waitForProgress(0.15);
      await ctx.killWorker(0);
      await ctx.waitForProgress(0.4);
      await ctx.killWorker(1);
      await ctx.waitForProgress(0.65);
      await ctx.workersBack(); // the first worker must be back before it can be killed again
      await ctx.killWorker(0);
      await ctx.workersBack();
    },
  },
  {
    name: 'MariaDB restart mid-run',
    faults: LIGHT,
    async drive(ctx) {
      await ctx.startRun();
      await ctx.waitForProgress(0.3);
      await ctx.restartMariaDb();
    },
  },
  {
    name: 'Temporal server restart mid-run',
    faults: LIGHT,
    async drive(ctx) {
      await ctx.startRun();
      await ctx.waitForProgress(0.3);
      await ctx.restartTemporal();
    },
  },
  {
    name: 'scheduled + 2 ad-hoc runs at once',
    faults: LIGHT,
    async drive(ctx) {
      await Promise.all([ctx.startScheduledRun(), ctx.startRun(), ctx.startRun()]);
      ctx.noteOverlap(3);
    },
  },
  {
    name: 'terminate mid-flight, run again',
    faults: { ...LIGHT, slowResponseRate: 0.1 },
    async drive(ctx) {
      const first = await ctx.startRun();
      await ctx.waitForProgress(0.4);
      await ctx.terminate(first);
      // At once: the terminated run's claims are still leased, so this run must leave them alone.
      await ctx.startRun();
    },
  },
  {
    name: 'everything at once',
    faults: HEAVY,
    async drive(ctx) {
      const [, adHoc] = await Promise.all([ctx.startScheduledRun(), ctx.startRun(), ctx.startRun()]);
      ctx.noteOverlap(3);
      await ctx.waitForProgress(0.15);
      await ctx.killWorker(0);
      await ctx.waitForProgress(0.3);
      await ctx.restartMariaDb();
      await ctx.waitForProgress(0.45);
      await ctx.restartTemporal();
      await ctx.waitForProgress(0.55);
      await ctx.terminate(adHoc);
      await ctx.workersBack();
      await ctx.waitForProgress(0.7);
      await ctx.killWorker(1);
      await ctx.workersBack();
    },
  },
];
