import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { buildDashboards, DASHBOARDS_DIR, DATASOURCE, PROCESS_METRIC, renderDashboard } from '../../grafana/build-dashboards.ts';
import { createMetrics, METRIC } from '../../src/metrics.ts';
import { ROOT } from '../helpers/service-process.ts';

const test = suite('grafana dashboards');

interface PanelJson {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}
const committed = (file: string) => JSON.parse(fs.readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8')) as {
  panels: PanelJson[];
  templating: { list: { name: string; query: string }[] };
};
const exprs = () =>
  committed('fleet.json')
    .panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

test('the committed dashboard JSON is what grafana/build-dashboards.ts builds (run `npm run build:dashboards`)', () => {
  for (const [file, dashboard] of Object.entries(buildDashboards())) {
    const onDisk = fs.readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8');
    // byte for byte: a stale generated file fails here
    assert.is(onDisk, renderDashboard(dashboard), `grafana/dashboards/${file} is out of date: run npm run build:dashboards`);
  }
  // and no dashboard file is left over from an earlier build
  assert.equal(fs.readdirSync(DASHBOARDS_DIR).sort(), Object.keys(buildDashboards()).sort());
});

test('the fleet dashboard has a panel for every series docs/observability.md names', () => {
  const all = exprs().map((e) => e.expr).join('\n');
  for (const metric of [
    METRIC.heartbeats,
    `${METRIC.heartbeatDuration}_bucket`,
    METRIC.connections,
    METRIC.staleConnections,
    METRIC.pluginVersions,
    METRIC.wpVersions,
    METRIC.alertEmails,
    METRIC.outboxPending,
    `${METRIC.sweepDuration}_bucket`,
    METRIC.sweepLastSuccess,
    METRIC.stormIncidentActive,
    METRIC.sitesAttention,
    METRIC.sitesByPhpBranch,
    METRIC.sitesByWordpressBranch,
    METRIC.sitesByPluginBranch,
    METRIC.sitesByCronMode,
    METRIC.sitesByEnvironment,
    PROCESS_METRIC.cpu,
    PROCESS_METRIC.residentMemory,
    PROCESS_METRIC.eventLoopLagP99,
  ]) {
    // some panel queries this metric
    assert.ok(all.includes(metric), `no panel queries ${metric}`);
  }
  // the heartbeat latency panel shows p50, p95 and p99
  const latency = exprs().filter((e) => e.panel === 'Heartbeat latency').map((e) => e.expr);
  assert.equal(latency.map((e) => /histogram_quantile\(([\d.]+)/.exec(e)?.[1]), ['0.5', '0.95', '0.99']);
});

test('every query filters by the instance variable and uses the provisioned datasource', () => {
  const dashboard = committed('fleet.json');
  // an instance variable listing the service's scrape targets
  const instance = dashboard.templating.list.find((v) => v.name === 'instance');
  assert.match(instance?.query ?? '', 'up{job="agentdesk"}');
  const provisioned = parse(fs.readFileSync(path.join(ROOT, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
    datasources: { uid: string; type: string }[];
  };
  // the dashboard's datasource uid is the provisioned one
  assert.ok(provisioned.datasources.some((d) => d.uid === DATASOURCE.uid && d.type === 'prometheus'));
  for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
    assert.is(panel.datasource?.uid, DATASOURCE.uid, panel.title);
    for (const target of panel.targets ?? []) assert.match(target.expr, 'instance=~"$instance"', panel.title);
  }
});

test('every metric a panel names exists in the service registry or is defined in METRIC', async () => {
  const exposed = await createMetrics().registry.getMetricsAsJSON();
  const known = new Set<string>([...Object.values(METRIC), ...exposed.map((m) => m.name)]);
  for (const { panel, expr } of exprs()) {
    for (const name of expr.match(/\b(?:agentdesk|process|nodejs|http)_[a-z0-9_]+/g) ?? []) {
      const base = name.replace(/_(bucket|count|sum)$/, '');
      // a misspelt metric would leave the panel silently empty
      assert.ok(known.has(base), `${panel}: unknown metric ${name}`);
    }
  }
});

test.run();
