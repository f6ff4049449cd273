import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createBusinessMetrics } from '../../src/metrics/business-metrics';
import { collectDatabaseGauges } from '../../src/metrics/db-gauges';
import type { Db } from '../../src/db/sql';
import { prometheusBinary } from '../support/prometheus';

const RULES_DIR = path.resolve(__dirname, '../../ops/prometheus');
const RULES = path.join(RULES_DIR, 'alerts.yml');
const RULE_TESTS = path.join(RULES_DIR, 'alerts.test.yml');

function promtool(...args: string[]): { code: number | null; output: string } {
  const r = spawnSync(prometheusBinary('promtool'), args, { encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const alertNames = (yaml: string): string[] => [...yaml.matchAll(/^\s*- alert: (\w+)/gm)].map((m) => m[1]);

describe('Prometheus alert rules (ops/prometheus/alerts.yml)', () => {
  it('pass promtool check rules', () => {
    const { code, output } = promtool('check', 'rules', RULES);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${alertNames(readFileSync(RULES, 'utf8')).length} rules found`));
  });

  it('pass their promtool test rules fixtures, which cover every alert', () => {
    const { code, output } = promtool('test', 'rules', RULE_TESTS);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS/);
    const tested = new Set([...readFileSync(RULE_TESTS, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    assert.deepEqual(alertNames(readFileSync(RULES, 'utf8')).filter((a) => !tested.has(a)), [], 'alerts without a fixture');
  });

  it('fixtures that can fail: a loosened decline threshold or a dropped "for" is caught', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'alert-rules-'));
    try {
      copyFileSync(RULE_TESTS, path.join(dir, 'alerts.test.yml'));
      const rules = readFileSync(RULES, 'utf8');
      for (const [from, to] of [[') > 0.3', ') > 0.6'], ['for: 1h', 'for: 1m']] as const) {
        assert.ok(rules.includes(from), `rules contain ${from}`);
        writeFileSync(path.join(dir, 'alerts.yml'), rules.replace(from, to));
        const { code, output } = promtool('test', 'rules', path.join(dir, 'alerts.test.yml'));
        assert.notEqual(code, 0, `mutation ${from} → ${to} passed the fixtures:\n${output}`);
        assert.match(output, /FAILED/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('name only metrics the worker exports', () => {
    const metrics = createBusinessMetrics(new Registry());
    collectDatabaseGauges(metrics, {} as Db);
    const exported = new Set(metrics.registry.getMetricsAsArray().map((m) => m.name));
    exported.add('up');
    const used = new Set([...readFileSync(RULES, 'utf8').matchAll(/\b((?:invoice|stripe)_[a-z_]+|up)\b(?=[{[\s)])/g)].map((m) => m[1]));
    assert.ok(used.size >= 7, `found ${[...used].join(', ')}`);
    assert.deepEqual([...used].filter((m) => !exported.has(m)), []);
  });
});
