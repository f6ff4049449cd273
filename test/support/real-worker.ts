/**
 * A worker with the real activities (MariaDB + simulator) on its own task queue of the stack's
 * dev server: what end-to-end test files share.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { temporalClaimOwnerLookup } from '../../src/temporal/claim-owners';
import { openTestServices, type TestServices } from './services';
import { createTestWorker, testEnvironment, uniqueTaskQueue } from './temporal';

export interface RealWorker {
  services: TestServices;
  env: TestWorkflowEnvironment;
  taskQueue: string;
  stop(): Promise<void>;
}

export async function startRealWorker(name: string, extra: Partial<Parameters<typeof createActivities>[0]> = {}): Promise<RealWorker> {
  const services = await openTestServices();
  const env = await testEnvironment(services.stack);
  const taskQueue = uniqueTaskQueue(name);
  const worker = await createTestWorker(env, { taskQueue, activities: createActivities({
    db: services.db, stripe: services.stripe, claimOwner: temporalClaimOwnerLookup(env.client), ...extra,
  }) });
  const running = worker.run();
  return {
    services,
    env,
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
      await env.teardown();
      await services.close();
    },
  };
}
