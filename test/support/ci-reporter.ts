// Mocha takes one reporter: this is the spec reporter plus one closing line,
// `N passed, N failed[, N skipped]`, that CI reads (.mocharc.json "reporter").
import Mocha from 'mocha';

const { EVENT_RUN_END } = Mocha.Runner.constants;

export default class CiReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    // Registered after Spec's own listener, so the line comes after its summary.
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      console.log(`${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`);
    });
  }
}
