/**
 * The second half of `npm run build` (after tsc): run as `node lib/build.js`. Copies the SQL
 * migrations next to the compiled migrate.js (tsc copies only TypeScript) and bundles the workflow
 * code once, so the compiled worker starts without webpack.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ENCRYPTING_FAILURE_CONVERTER_PATH } from './codec/data-converter';
import { WORKFLOW_BUNDLE_FILE } from './workflow-code';

async function main(): Promise<void> {
  const lib = __dirname;
  const source = path.resolve(lib, '..', 'src', 'db', 'migrations');
  const target = path.join(lib, 'db', 'migrations');
  mkdirSync(target, { recursive: true });
  const sql = readdirSync(source).filter((f) => f.endsWith('.sql'));
  for (const f of sql) copyFileSync(path.join(source, f), path.join(target, f));
  console.log(`build: ${sql.length} migration file(s) copied to ${path.relative(process.cwd(), target)}`);

  // A prebuilt bundle ignores the worker's failureConverterPath, so the encrypting failure converter
  // goes in at build time (with TEMPORAL_CODEC=off its encoded attributes are cleartext JSON).
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    failureConverterPath: ENCRYPTING_FAILURE_CONVERTER_PATH,
  });
  const bundle = path.join(lib, WORKFLOW_BUNDLE_FILE);
  writeFileSync(bundle, code);
  console.log(`build: workflow bundle ${path.relative(process.cwd(), bundle)} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
