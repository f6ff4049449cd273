/**
 * Where the worker gets its workflow code. `npm run build` bundles it into lib/workflow-bundle.js
 * (src/build.ts), so the compiled worker (`npm start`) loads that file and start-up runs no
 * webpack; from source (tsx) there is no bundle next to this file and the SDK bundles at start.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

export type WorkflowCode = { workflowBundle: { codePath: string } } | { workflowsPath: string };

export function workflowCode(dir: string = __dirname): WorkflowCode {
  const codePath = path.join(dir, WORKFLOW_BUNDLE_FILE);
  return existsSync(codePath) ? { workflowBundle: { codePath } } : { workflowsPath: require.resolve('./workflows') };
}
