import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { METRIC } from '../../src/metrics.ts';
import { ROOT } from '../helpers/service-process.ts';
import { findExecutable, missingCommand, whenAvailable } from '../helpers/system.ts';

const test = suite('prometheus config and alert rules');
const dir = path.join(ROOT, 'prometheus');
const withPromtool = whenAvailable(test, missingCommand('promtool', 'prometheus'));

interface RuleFile {
  groups: { name: string; rules: { alert?: string; expr: string; labels?: Record<string, string> }[] }[];
}
interface RuleTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}
const rules = () => parse(fs.readFileSync(path.join(dir, 'alerts.yml'), 'utf8')) as RuleFile;

function promtool(...args: string[]) {
  const promtoolPath = findExecutable('promtool');
  assert.ok(promtoolPath, 'promtool is not installed (apt-get install prometheus)');
  const result = spawnSync(promtoolPath, args, { cwd: dir, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

withPromtool('promtool accepts the top-level prometheus.yml and the rule file it loads', () => {
  const result = promtool('check', 'config', path.join(ROOT, 'prometheus.yml'));
  // exit 0, and the rule file was found through rule_files
  assert.is(result.status, 0, result.output);
  assert.match(result.output, 'SUCCESS: 1 rule files found');
});

withPromtool('promtool accepts the alert rules', () => {
  const result = promtool('check', 'rules', 'alerts.yml');
  // exit 0
  assert.is(result.status, 0, result.output);
});

withPromtool('the alert rules pass their promtool unit tests', () => {
  const result = promtool('test', 'rules', 'alerts.test.yml');
  // exit 0 with SUCCESS
  assert.is(result.status, 0, result.output);
  assert.match(result.output, 'SUCCESS');
});

test('every alert rule has a unit test in which it fires and one in which it stays quiet', () => {
  const tests = parse(fs.readFileSync(path.join(dir, 'alerts.test.yml'), 'utf8')) as RuleTests;
  const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const rule of rules().groups.flatMap((g) => g.rules)) {
    if (!rule.alert) continue;
    const mine = cases.filter((c) => c.alertname === rule.alert);
    // a firing case and a quiet case for this alert
    assert.ok(mine.some((c) => c.exp_alerts.length > 0), `${rule.alert} never fires in alerts.test.yml`);
    assert.ok(mine.some((c) => c.exp_alerts.length === 0), `${rule.alert} is never checked to stay quiet`);
  }
});

test('the rules cover the operator alerts docs/observability.md lists, each with a severity', () => {
  const alerts = rules().groups.flatMap((g) => g.rules).filter((r) => r.alert);
  const uses = (metric: string) => alerts.some((r) => r.expr.includes(metric));
  // service down, heartbeat errors and latency, stale spike, sweep, email, outbox, storm
  assert.ok(alerts.some((r) => /\bup\{/.test(r.expr)));
  for (const metric of [
    METRIC.heartbeats,
    METRIC.heartbeatDuration,
    METRIC.staleConnections,
    METRIC.sweepLastSuccess,
    METRIC.alertEmails,
    METRIC.outboxPending,
    METRIC.stormIncidentActive,
  ]) {
    assert.ok(uses(metric), `no rule uses ${metric}`);
  }
  // every alert carries a severity label
  assert.ok(alerts.every((r) => r.labels?.severity === 'critical' || r.labels?.severity === 'warning'));
});

test('every AgentDesk metric a rule names is one the service defines', () => {
  const known = new Set<string>(Object.values(METRIC));
  for (const rule of rules().groups.flatMap((g) => g.rules)) {
    for (const name of rule.expr.match(/\bagentdesk_[a-z_]+/g) ?? []) {
      const base = name.replace(/_(bucket|count|sum)$/, '');
      // a typo in a rule would silently never fire
      assert.ok(known.has(base), `${rule.alert}: unknown metric ${name}`);
    }
  }
});

test.run();
