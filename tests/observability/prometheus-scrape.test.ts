import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { createMetrics, METRIC } from '../../src/metrics.ts';
import { buildDashboards } from '../../grafana/build-dashboards.ts';
import { buildTestApp, createBotFor, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { SITE_HEALTH_CACHE_MS } from '../../src/observability/site-health-metrics.ts';
import { ROOT } from '../helpers/service-process.ts';
import { findExecutable, freePort, missingCommand, suiteCanRun } from '../helpers/system.ts';

// A real Prometheus (Debian package) scrapes the running service every second; then every Grafana
// panel query and every alert rule expression is evaluated through Prometheus's HTTP API.
const test = suite<Ctx>('prometheus scraping the service');
const run = suiteCanRun('prometheus scraping the service', missingCommand('prometheus', 'prometheus'));

interface Ctx {
  app: Awaited<ReturnType<typeof buildTestApp>>['app'];
  db: Awaited<ReturnType<typeof buildTestApp>>['db'];
  clock: Awaited<ReturnType<typeof buildTestApp>>['clock'];
  prometheus: ChildProcess;
  promUrl: string;
  tmp: string;
  stderr: string;
}

interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] | [number, string] };
}


async function promQuery(ctx: Ctx, expr: string): Promise<QueryAnswer> {
  const response = await fetch(`${ctx.promUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  return (await response.json()) as QueryAnswer;
}

/** Polls until probe() returns a value, or fails after timeoutMs: Prometheus works on its own schedule. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const scalarOf = async (ctx: Ctx, expr: string) => {
  const answer = await promQuery(ctx, expr);
  const result = answer.data?.result;
  return Array.isArray(result) && typeof result[0] === 'object' ? Number((result[0] as { value: [number, string] }).value[1]) : undefined;
};

/** Grafana's variables, as the dashboard would substitute them with "All" instances selected. */
const substitute = (expr: string) =>
  expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('$instance', '.*');

const panelQueries = () =>
  Object.values(buildDashboards()).flatMap((dashboard) =>
    (dashboard.panels ?? []).flatMap((panel) =>
      ('targets' in panel ? ((panel.targets ?? []) as { expr?: string }[]) : []).map((t) => ({
        title: String(panel.title),
        expr: substitute(t.expr ?? ''),
      })),
    ),
  );

const ruleExprs = () =>
  (parse(fs.readFileSync(path.join(ROOT, 'prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups
    .flatMap((g) => g.rules)
    .map((r) => ({ alert: r.alert, expr: r.expr }));

if (run) {
  /** Stops Prometheus, closes the app and removes the temporary directory (also after a failed start). */
  const cleanUp = async (ctx: Ctx) => {
    if (ctx.prometheus && ctx.prometheus.exitCode === null && ctx.prometheus.signalCode === null) {
      const exited = new Promise((resolve) => ctx.prometheus.once('exit', resolve));
      ctx.prometheus.kill('SIGTERM');
      await exited;
    }
    await ctx.app?.close();
    if (ctx.tmp) fs.rmSync(ctx.tmp, { recursive: true, force: true });
  };

  test.before(async (ctx) => {
    try {
      await start(ctx);
    } catch (error) {
      await cleanUp(ctx);
      throw new Error(`${(error as Error).message}\nprometheus stderr: ${ctx.stderr ?? ''}`);
    }
  });

  test.after(cleanUp);

  async function start(ctx: Ctx) {
    const metrics = createMetrics();
    // buildApp defines every metric, the alert metrics included (app.alertMetrics).
    Object.assign(ctx, await buildTestApp({ metrics }));
    await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    const appPort = (ctx.app.server.address() as net.AddressInfo).port;

    ctx.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-prometheus-'));
    // The shipped prometheus.yml with the test's target, a 1 s scrape and the shipped rules.
    const shipped = parse(fs.readFileSync(path.join(ROOT, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const config = {
      ...shipped,
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [path.join(ROOT, 'prometheus/alerts.yml')],
      scrape_configs: shipped.scrape_configs.map((c) => ({ ...c, static_configs: [{ targets: [`127.0.0.1:${appPort}`] }] })),
    };
    fs.writeFileSync(path.join(ctx.tmp, 'prometheus.yml'), JSON.stringify(config));
    const promPort = await freePort();
    ctx.promUrl = `http://127.0.0.1:${promPort}`;
    ctx.stderr = '';
    ctx.prometheus = spawn(
      findExecutable('prometheus')!,
      [
        `--config.file=${path.join(ctx.tmp, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(ctx.tmp, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    ctx.prometheus.stderr!.setEncoding('utf8').on('data', (chunk: string) => (ctx.stderr += chunk));

    // First scrape done: the service is up and its zero-initialised counters exist.
    await eventually('the first scrape', async () => ((await scalarOf(ctx, 'up{job="agentdesk"}')) === 1 ? true : undefined));

    // Then traffic: accepted heartbeats and rejected ones (unknown token, invalid body).
    const { user } = await createOwner(ctx.db);
    const send = (token: string, body: unknown) => postHeartbeat(ctx.app, token, body);
    for (let i = 0; i < 3; i++) {
      const { token } = await createBotFor(ctx.db, user.id);
      // 1.2 plugins: the site-health panels have data (one staging site needs attention)
      const health = { php_version: '8.3.1', cron: { mode: 'wp-cron', overdue_events: 0, oldest_overdue_seconds: 0 }, environment: i === 0 ? 'staging' : 'production', multisite: false };
      assert.is((await send(token, heartbeatBody({ site_url: `https://scraped${i}.example.com`, ...health }))).statusCode, 200);
      assert.is((await send(token, heartbeatBody({ site_url: 'not a url' }))).statusCode, 400);
    }
    assert.is((await send('bot_unknownunknownunknown1234', heartbeatBody())).statusCode, 401);

    // Wait until Prometheus has scraped all of the traffic (the unknown token was sent last), and
    // has samples from before and after it for rate().
    await eventually('all heartbeats scraped', async () =>
      (await scalarOf(ctx, `sum(${METRIC.heartbeats}{result="invalid_token"})`)) === 1 ? true : undefined,
    );
    await eventually('the heartbeats in a rate()', async () =>
      ((await scalarOf(ctx, `sum(rate(${METRIC.heartbeats}{result="accepted"}[1m]))`)) ?? 0) > 0 ? true : undefined,
    );
    // The site-health gauges reuse their summary for a minute (SITE_HEALTH_CACHE_MS), on the app's clock too: move it on.
    ctx.clock.advance(SITE_HEALTH_CACHE_MS + 1000);
    await eventually('the site-health gauges', async () =>
      ((await scalarOf(ctx, `max(${METRIC.sitesByPhpBranch}{version="8.3"})`)) ?? 0) >= 3 ? true : undefined,
    );
  }

  test('Prometheus scrapes the service and sees the heartbeats by result', async (ctx) => {
    const accepted = await scalarOf(ctx, `sum(${METRIC.heartbeats}{result="accepted"})`);
    const invalidBody = await scalarOf(ctx, `sum(${METRIC.heartbeats}{result="invalid_body"})`);
    const invalidToken = await scalarOf(ctx, `sum(${METRIC.heartbeats}{result="invalid_token"})`);
    // three accepted, three invalid bodies, one unknown token, as sent
    assert.is(accepted, 3);
    assert.is(invalidBody, 3);
    assert.is(invalidToken, 1);
    // the fleet gauges come from the database (cached for 5 s): the three bots just connected show up
    const connected = await eventually('the connected bots in the fleet gauge', async () => {
      const value = await scalarOf(ctx, `max(${METRIC.connections}{status="connected"})`);
      return value !== undefined && value >= 3 ? value : undefined;
    });
    assert.ok(connected >= 3);
  });

  test('every Grafana panel query evaluates without error', async (ctx) => {
    const queries = panelQueries();
    // the dashboard has queries at all
    assert.ok(queries.length >= 15);
    for (const { title, expr } of queries) {
      const answer = await promQuery(ctx, expr);
      // Prometheus accepts and evaluates the query
      assert.is(answer.status, 'success', `${title}: ${expr}: ${answer.error}`);
    }
  });

  test('the heartbeat rate, latency and connection panels return data', async (ctx) => {
    const mustHaveData = ['Heartbeat rate by result', 'Heartbeat latency', 'Connections by status', 'Stale connections', 'Sites needing attention, by kind', 'PHP versions (connected sites)', 'WP-Cron modes (connected sites)'];
    for (const { title, expr } of panelQueries().filter((q) => mustHaveData.includes(q.title))) {
      const answer = await promQuery(ctx, expr);
      const result = (answer.data?.result ?? []) as { metric: Record<string, string>; value: [number, string] }[];
      // at least one series, with numbers rather than NaN
      assert.ok(result.length > 0, `${title}: no data for ${expr}`);
      assert.ok(result.some((r) => Number.isFinite(Number(r.value[1]))), `${title}: only NaN for ${expr}`);
    }
    // the rate panel shows accepted and rejected heartbeats apart
    const rate = panelQueries().find((q) => q.title === 'Heartbeat rate by result')!;
    const results = ((await promQuery(ctx, rate.expr)).data?.result ?? []) as { metric: Record<string, string> }[];
    assert.ok(results.some((r) => r.metric.result === 'accepted'));
    assert.ok(results.some((r) => r.metric.result === 'invalid_body'));
  });

  test('every alert rule expression evaluates without error, and Prometheus loaded every rule', async (ctx) => {
    for (const { alert, expr } of ruleExprs()) {
      const answer = await promQuery(ctx, expr);
      // the rule's expression runs
      assert.is(answer.status, 'success', `${alert}: ${answer.error}`);
    }
    const rules = await eventually('a first rule evaluation', async () => {
      const response = (await (await fetch(`${ctx.promUrl}/api/v1/rules`)).json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const all = response.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
    });
    // all shipped rules loaded and none failed to evaluate
    assert.equal(rules.map((r) => r.name).sort(), ruleExprs().map((r) => r.alert).sort());
    assert.equal(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`), []);
  });
  test.run();
}
