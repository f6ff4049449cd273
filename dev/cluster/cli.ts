// `npm run cluster [up|down|status]`: the production-shaped Temporal (separate services on
// PostgreSQL, mutual TLS) plus MariaDB and the Stripe simulator, with data under .data/cluster/.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { isListening } from '../stack/ports';
import { isAlive, isProcessOf, readState, removeState, stateFile, writeState } from '../stack/state';
import { PROJECT_ROOT } from '../stack/tools';
import { ensureServerBuilt, TEMPORAL_SERVER_VERSION } from './build';
import { CLUSTER_SERVICES } from './cluster';
import { startClusterStack, type ClusterStack } from './stack';

const DEFAULT_DATA_DIR = path.join(PROJECT_ROOT, '.data', 'cluster');
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const program = new Command('cluster').description('Run the Temporal server as separate services on PostgreSQL with mTLS, plus MariaDB and the Stripe simulator');
const dataDirOption = () => new Option('--data-dir <dir>', 'where data, certificates, logs and stack.json live').default(DEFAULT_DATA_DIR);

program
  .command('up', { isDefault: true })
  .description('start the cluster in the foreground (Ctrl-C stops it); --detach to run it in the background')
  .addOption(new Option('--temporal-port <port>', 'frontend gRPC port').env('CLUSTER_TEMPORAL_PORT').argParser(Number).default(17233))
  .addOption(dataDirOption())
  .option('--detach', 'start in the background; stop with `npm run cluster down`', false)
  .action((opts: { temporalPort: number; dataDir: string; detach: boolean }) => (opts.detach ? upDetached(opts.dataDir) : up(opts)));
program.command('build').description('build the pinned Temporal server into .tools/ unless already there').action(async () => {
  const { server } = await ensureServerBuilt((m) => console.log(`cluster: ${m}`));
  console.log(`cluster: Temporal server ${TEMPORAL_SERVER_VERSION}: ${server}`);
});
program.command('down').description('stop a cluster started in the background').addOption(dataDirOption()).action((o: { dataDir: string }) => down(path.resolve(o.dataDir)));
program.command('status').description('show whether the cluster runs and how to reach it').addOption(dataDirOption()).action((o: { dataDir: string }) => status(path.resolve(o.dataDir)));

function refuseIfRunning(dataDir: string): void {
  const state = readState(dataDir);
  if (state && isProcessOf(state.pid, /node|tsx/)) throw new Error(`a cluster is already running (pid ${state.pid}); stop it with \`npm run cluster down\``);
}

async function up(opts: { temporalPort: number; dataDir: string }): Promise<void> {
  const dataDir = path.resolve(opts.dataDir);
  refuseIfRunning(dataDir);
  mkdirSync(dataDir, { recursive: true });
  const startedAt = Date.now();
  const stack = await startClusterStack({ dataDir, frontendPort: opts.temporalPort, log: (m) => console.log(`cluster: ${m}`) });
  writeState(dataDir, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ready: true,
    services: {
      temporal: { pid: stack.cluster.services.frontend.pid, address: stack.cluster.address, logFile: stack.cluster.services.frontend.spec.logFile },
      mysql: { pid: stack.mysql.pid, url: stack.mysql.url, port: stack.mysql.port, logFile: stack.mysql.logFile },
      stripe: { url: stack.stripe.url },
    },
    env: stack.env,
  });
  print(stack, Date.now() - startedAt);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\ncluster: ${signal}: stopping…`);
    await stack.stop();
    removeState(dataDir, process.pid);
    console.log('cluster: stopped');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
}

function print(stack: ClusterStack, elapsedMs: number): void {
  const { cluster } = stack;
  console.log([
    `cluster: up in ${(elapsedMs / 1000).toFixed(1)}s (data, certificates and logs in ${stack.dataDir})`,
    ...CLUSTER_SERVICES.map((s) => `  Temporal ${s.padEnd(9)} pid ${cluster.services[s].pid}`),
    `  Temporal        ${cluster.address} (namespace ${cluster.namespace}, mutual TLS required; CA ${cluster.certs.caCert})`,
    `  PostgreSQL      ${cluster.postgres.host}:${cluster.postgres.port} (databases temporal, temporal_visibility)`,
    `  MySQL           ${stack.mysql.url} (MariaDB, schema migrated)`,
    `  Stripe          ${stack.stripe.url} (simulator)`,
    '',
    'For the worker and client, in another shell:',
    ...Object.entries(stack.env).map(([k, v]) => `  export ${k}=${v}`),
    '',
    `The temporal CLI: temporal workflow list ${cluster.cliArgs.join(' ')}`,
    'Ctrl-C stops the cluster.',
  ].join('\n'));
}

async function upDetached(dataDirOpt: string): Promise<void> {
  const dataDir = path.resolve(dataDirOpt);
  refuseIfRunning(dataDir);
  const logFile = path.join(dataDir, 'logs', 'cluster.log');
  mkdirSync(path.dirname(logFile), { recursive: true });
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const logSince = () => readFileSync(logFile).subarray(logStart).toString('utf8').trimEnd();
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1).filter((a) => a !== '--detach')], { detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  // The first start builds the server: allow for it.
  const deadline = Date.now() + 30 * 60_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const state = readState(dataDir);
    if (state && state.pid === child.pid && state.ready) {
      console.log(logSince().replace('Ctrl-C stops the cluster.', 'Stop it with `npm run cluster down`.'));
      return;
    }
    if (!isAlive(child.pid)) throw new Error(`the cluster failed to start:\n${logSince()}`);
  }
  throw new Error(`the cluster did not start in time; see ${logFile}`);
}

async function down(dataDir: string): Promise<void> {
  const state = readState(dataDir);
  if (!state) {
    console.log(`no cluster recorded in ${stateFile(dataDir)}`);
    return;
  }
  if (isProcessOf(state.pid, /node|tsx/)) {
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + 120_000;
    while (isAlive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }
  removeState(dataDir, state.pid);
  console.log('cluster: stopped');
}

async function status(dataDir: string): Promise<void> {
  const state = readState(dataDir);
  if (!state || !isAlive(state.pid)) {
    console.log('cluster: not running');
    process.exitCode = 1;
    return;
  }
  const address = state.services.temporal?.address ?? '';
  const up = await isListening(Number(address.split(':').pop()));
  console.log(`cluster: running (pid ${state.pid}, since ${state.startedAt}); frontend ${address} ${up ? 'up' : 'DOWN'}`);
  console.log(Object.entries(state.env).map(([k, v]) => `  export ${k}=${v}`).join('\n'));
}

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`cluster: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
