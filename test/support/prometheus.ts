/** Debian's prometheus and promtool (installed by dev/bootstrap.sh), and a private Prometheus for a test. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../dev/stack/ports';

export function prometheusBinary(name: 'prometheus' | 'promtool'): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/local/bin']) {
    const candidate = path.join(dir, name);
    if (spawnSync('test', ['-x', candidate]).status === 0) return candidate;
  }
  throw new Error(`${name} not found: run dev/bootstrap.sh (it installs Debian's prometheus package)`);
}

export interface ScrapeTarget {
  job: string;
  /** host:port serving /metrics. */
  address: string;
}

export interface PrivatePrometheus {
  url: string;
  /** Instant query through the HTTP API: the result vector, values as numbers. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

/** A Prometheus of its own: config, TSDB and port in a temp dir, scraping `targets` every second. */
export async function startPrivatePrometheus(targets: ScrapeTarget[]): Promise<PrivatePrometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invoice-prometheus-'));
  const port = await findFreePort();
  const scrapeConfigs = targets.map((t) => [
    `  - job_name: ${JSON.stringify(t.job)}`,
    '    scrape_interval: 1s',
    '    scrape_timeout: 1s',
    `    static_configs: [{ targets: [${JSON.stringify(t.address)}] }]`,
  ].join('\n'));
  writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  evaluation_interval: 1s\nscrape_configs:\n${scrapeConfigs.join('\n')}\n`);
  const child: ChildProcess = spawn(prometheusBinary('prometheus'), [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited (${child.exitCode}): ${stderr.slice(-2000)}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after 30 s: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success' || !body.data) throw new Error(`query ${expr} failed: ${body.error ?? res.status}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    stop,
  };
}
