// Root hooks, loaded through .mocharc.json "require": stop the shared test stack after all tests.
import { stopTestStack } from './stack';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    await stopTestStack();
  },
};
