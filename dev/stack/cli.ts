// `npm run stack [up|down|status]`: the local stack for development (Temporal dev server + Web UI,
// a private MariaDB, the Stripe simulator), with data under .data/.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isListening } from './ports';
import { DEFAULT_PORTS, startStack, type Stack } from './stack';
import { isAlive, isProcessOf, readState, removeState, stateFile, writeState, type StackState } from './state';
import { PROJECT_ROOT } from './tools';

const DEFAULT_DATA_DIR = path.join(PROJECT_ROOT, '.data');

// A closed terminal or pipe (`| head`) must not turn output, or a clean shutdown, into a crash.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number');
  return port;
}

const portOption = (flags: string, description: string, env: string, fallback: number) =>
  new Option(flags, description).env(env).argParser(parsePort).default(fallback);

interface UpOptions {
  temporalPort: number;
  uiPort: number;
  mysqlPort: number;
  stripePort: number;
  ui: boolean;
  dataDir: string;
  detach: boolean;
}

const program = new Command('stack').description('Run Temporal, MariaDB and the Stripe simulator locally');
const dataDirOption = () => new Option('--data-dir <dir>', 'where data, logs and stack.json live').default(DEFAULT_DATA_DIR);

program
  .command('up', { isDefault: true })
  .description('start the stack and stay in the foreground (Ctrl-C stops it); --detach to run it in the background')
  .addOption(portOption('--temporal-port <port>', 'Temporal gRPC port', 'TEMPORAL_PORT', DEFAULT_PORTS.temporal))
  .addOption(portOption('--ui-port <port>', 'Temporal Web UI port', 'TEMPORAL_UI_PORT', DEFAULT_PORTS.temporalUi))
  .addOption(portOption('--mysql-port <port>', 'MariaDB port', 'MYSQL_PORT', DEFAULT_PORTS.mysql))
  .addOption(portOption('--stripe-port <port>', 'Stripe simulator port', 'STRIPE_SIM_PORT', DEFAULT_PORTS.stripe))
  .option('--no-ui', 'do not serve the Temporal Web UI')
  .addOption(dataDirOption())
  .option('--detach', 'start in the background; stop with `npm run stack down`', false)
  .action((opts: UpOptions) => (opts.detach ? upDetached(opts) : up(opts)));

program
  .command('down')
  .description('stop a stack started in the background')
  .addOption(dataDirOption())
  .action((opts: { dataDir: string }) => down(path.resolve(opts.dataDir)));

program
  .command('status')
  .description('show whether a stack is running and where')
  .addOption(dataDirOption())
  .action((opts: { dataDir: string }) => status(path.resolve(opts.dataDir)));

function refuseIfRunning(dataDir: string): void {
  const state = readState(dataDir);
  if (state && isProcessOf(state.pid, /node|tsx/)) {
    throw new Error(`a stack is already running (pid ${state.pid}, ${stateFile(dataDir)}); stop it with \`npm run stack down\``);
  }
}

async function up(opts: UpOptions): Promise<void> {
  const dataDir = path.resolve(opts.dataDir);
  refuseIfRunning(dataDir);
  mkdirSync(dataDir, { recursive: true });
  const startedAt = Date.now();
  const stack = await startStack({
    dataDir,
    ui: opts.ui,
    ports: { temporal: opts.temporalPort, temporalUi: opts.uiPort, mysql: opts.mysqlPort, stripe: opts.stripePort },
    log: (m) => console.log(`stack: ${m}`),
  });
  writeState(dataDir, toState(stack));
  printStack(stack, Date.now() - startedAt);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nstack: ${signal}: stopping…`);
    await stack.stop();
    removeState(dataDir, process.pid);
    console.log('stack: stopped');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
}

function toState(stack: Stack): StackState {
  return {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ready: true,
    services: {
      temporal: { pid: stack.temporal.pid, address: stack.temporal.address, uiUrl: stack.temporal.uiUrl, logFile: stack.temporal.logFile },
      mysql: { pid: stack.mysql.pid, url: stack.mysql.url, port: stack.mysql.port, logFile: stack.mysql.logFile },
      stripe: { url: stack.stripe.url },
    },
    env: stack.env,
  };
}

function printStack(stack: Stack, elapsedMs: number): void {
  const lines = [
    `stack: up in ${(elapsedMs / 1000).toFixed(1)}s (data and logs in ${stack.dataDir})`,
    `  Temporal        ${stack.temporal.address} (namespace ${stack.temporal.namespace})`,
    `  Temporal Web UI ${stack.temporal.uiUrl ?? 'off (--no-ui)'}`,
    `  MySQL           ${stack.mysql.url} (MariaDB, schema migrated)`,
    `  Stripe          ${stack.stripe.url} (simulator, key ${stack.env.STRIPE_SECRET_KEY})`,
    '',
    'For the worker and client, in another shell:',
    ...Object.entries(stack.env).map(([k, v]) => `  export ${k}=${v}`),
    '',
    'Ctrl-C stops the stack.',
  ];
  console.log(lines.join('\n'));
}

/** Re-runs `up` as a detached child logging to <dataDir>/logs/stack.log; returns once it is ready. */
async function upDetached(opts: UpOptions): Promise<void> {
  const dataDir = path.resolve(opts.dataDir);
  refuseIfRunning(dataDir);
  const logFile = path.join(dataDir, 'logs', 'stack.log');
  mkdirSync(path.dirname(logFile), { recursive: true });
  const args = process.argv.slice(1).filter((a) => a !== '--detach');
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const logSince = () => readFileSync(logFile).subarray(logStart).toString('utf8').trimEnd();
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...process.execArgv, ...args], { detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const state = readState(dataDir);
    if (state && state.pid === child.pid && state.ready) {
      console.log(logSince().replace('Ctrl-C stops the stack.', 'Stop it with `npm run stack down`.'));
      return;
    }
    if (!isAlive(child.pid)) {
      throw new Error(`the stack failed to start:\n${logSince()}`);
    }
  }
  throw new Error(`the stack did not start within 180 s; see ${logFile}`);
}

async function down(dataDir: string): Promise<void> {
  const state = readState(dataDir);
  if (!state) {
    console.log(`no stack recorded in ${stateFile(dataDir)}`);
    return;
  }
  if (isProcessOf(state.pid, /node|tsx/)) {
    process.kill(state.pid, 'SIGTERM');
    await waitForExit(state.pid, 90_000);
  }
  // The `up` process died without cleaning up: stop what it left behind, if still theirs.
  const orphans = [
    { pid: state.services.temporal?.pid, pattern: /temporal/ },
    { pid: state.services.mysql?.pid, pattern: /mariadbd|mysqld/ },
  ].filter((o) => isProcessOf(o.pid, o.pattern));
  for (const { pid } of orphans) process.kill(pid!, 'SIGTERM');
  for (const { pid } of orphans) await waitForExit(pid!, 60_000);
  removeState(dataDir, state.pid);
  console.log('stack: stopped');
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not exit within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function status(dataDir: string): Promise<void> {
  const state = readState(dataDir);
  if (!state || !isAlive(state.pid)) {
    console.log(state ? `stack: not running (stale ${stateFile(dataDir)}, pid ${state.pid})` : 'stack: not running');
    process.exitCode = 1;
    return;
  }
  const { temporal, mysql, stripe } = state.services;
  const port = (address: string) => Number(address.split(':').pop());
  const check = async (p: number) => ((await isListening(p)) ? 'up' : 'DOWN');
  console.log(`stack: running (pid ${state.pid}, since ${state.startedAt})`);
  if (temporal) console.log(`  Temporal        ${temporal.address} ${await check(port(temporal.address))}  UI ${temporal.uiUrl ?? 'off'}`);
  if (mysql) console.log(`  MySQL           ${mysql.url} ${await check(mysql.port)}`);
  if (stripe) console.log(`  Stripe          ${stripe.url} ${await check(Number(new URL(stripe.url).port))}`);
  console.log(Object.entries(state.env).map(([k, v]) => `  export ${k}=${v}`).join('\n'));
}

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`stack: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
