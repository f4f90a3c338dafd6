// Plugin usage analytics for the operator (docs/observability.md, "Site health across the fleet"):
// the fold to major.minor with at most 20 series per label, attention counts judged by the one rule
// set, the six gauges on /metrics and the fleet page's cards, from the same real database.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { parseVersionSupport } from '../../src/domain/version-support.ts';
import { foldTop, SITE_HEALTH_MAX_SERIES, summarizeSiteHealth, type SiteHealthGroup } from '../../src/domain/site-health-summary.ts';
import { METRIC } from '../../src/metrics.ts';
import { buildTestApp, createBotFor, createClock, createOwner, heartbeatBody, postHeartbeat, type Clock } from '../helpers/app.ts';
import { freshDatabase } from '../helpers/database.ts';
import { loggedIn } from '../helpers/dashboard.ts';

// These gauges count the whole fleet, so this suite owns an empty database.
interface Ctx {
  db: Database;
  clock: Clock;
  app: Awaited<ReturnType<typeof buildTestApp>>['app'];
}
const test = suite<Ctx>('site health across the fleet');

test.before(async (ctx) => {
  ctx.db = await freshDatabase();
  await migrate(ctx.db);
  ctx.clock = createClock(new Date('2026-12-04T12:00:00Z'));
  ctx.app = (await buildTestApp({ db: ctx.db, clock: ctx.clock, dashboard: { latestPluginVersion: '1.2.0' } })).app;
});
test.after(async (ctx) => {
  await ctx.app.close();
  await ctx.db.close();
});

test('past 20 values the least common are summed as "other"; "unknown" and "other" come last', () => {
  const counts = new Map<string, number>(Array.from({ length: 30 }, (_, i) => [`8.${i}`, 100 - i] as [string, number]));
  counts.set('unknown', 1000);
  const folded = foldTop(counts, SITE_HEALTH_MAX_SERIES, true);
  // 19 values of their own, then one "other" holding the rest (unknown included: it fell out of the top)
  assert.is(folded.length, 20);
  assert.equal(folded.slice(0, 2).map((e) => e.value), ['8.0', '8.1']);
  assert.is(folded.at(-1)!.value, 'other');
  assert.is(folded.at(-1)!.count, 1000 + Array.from({ length: 11 }, (_, i) => 100 - 19 - i).reduce((a, b) => a + b, 0));
  // fewer than 20: nothing folded
  assert.equal(foldTop(new Map([['unknown', 5], ['system', 2], ['wp-cron', 9]])).map((e) => e.value), ['wp-cron', 'system', 'unknown']);
});

test('each group is judged by the attention rules once, weighted by its sites', () => {
  const table = parseVersionSupport({
    as_of: '2026-12-01',
    sources: ['https://www.php.net/supported-versions.php'],
    wordpress: { latest_branch: '6.9', oldest_branch_with_security_fixes: '4.7' },
    php: [{ branch: '7.4', security_support_until: '2022-11-28' }, { branch: '8.3', security_support_until: '2027-12-31' }],
  });
  assert.ok(table.ok);
  const group = (over: Partial<SiteHealthGroup>): SiteHealthGroup => ({
    plugin_version: '1.2.0', wp_branch: '6.9', php_branch: '8.3', cron_mode: 'wp-cron', environment: 'production', cron_overdue: false, n: 1, ...over,
  });
  const summary = summarizeSiteHealth(
    [
      group({ n: 10 }),
      group({ plugin_version: '1.1.0', php_branch: '7.4', n: 3 }),
      group({ wp_branch: '4.6', cron_mode: 'disabled', cron_overdue: true, n: 2 }),
      group({ cron_overdue: true, environment: 'staging', n: 4 }),
      group({ plugin_version: null, wp_branch: null, php_branch: null, cron_mode: null, environment: null, n: 5 }),
    ],
    { tables: table.ok ? table.value : (undefined as never), latestPluginVersion: '1.2.0', now: new Date('2026-12-04T12:00:00Z') },
  );
  assert.is(summary.sites, 24);
  assert.equal(summary.attention, { plugin_outdated: 3, wordpress_outdated: 2, php_unsupported: 3, cron_disabled: 2, cron_overdue: 4, not_production: 4 });
  assert.is(summary.needingAttention, 3 + 2 + 4);
  assert.equal(summary.phpBranches, [{ value: '8.3', count: 16 }, { value: '7.4', count: 3 }, { value: 'unknown', count: 5 }]);
  assert.equal(summary.cronModes.map((e) => e.value), ['wp-cron', 'disabled', 'unknown']);
});

test('/metrics and the fleet page show the connected sites by branch, cron mode, environment and attention kind', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const site = async (body: Record<string, unknown>) => {
    const { token } = await createBotFor(ctx.db, user.id);
    assert.is((await postHeartbeat(ctx.app, token, heartbeatBody(body))).statusCode, 200);
  };
  const v12 = { plugin_version: '1.2.0', wp_version: '6.9.1', php_version: '8.3.14', cron: { mode: 'wp-cron', overdue_events: 0, oldest_overdue_seconds: 0 }, environment: 'production', multisite: false };
  await site(v12);
  await site({ ...v12, php_version: '8.3.2' });
  await site({ ...v12, php_version: '7.4.33', environment: 'staging', cron: { mode: 'disabled', overdue_events: 4, oldest_overdue_seconds: 9000 } });
  // a 1.1 plugin reports none of it
  await site({ plugin_version: '1.1.0', wp_version: '6.1.1' });

  const body = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
  // PHP folded to major.minor; the 1.1 site is "unknown"
  assert.match(body, `${METRIC.sitesByPhpBranch}{version="8.3"} 2`);
  assert.match(body, `${METRIC.sitesByPhpBranch}{version="7.4"} 1`);
  assert.match(body, `${METRIC.sitesByPhpBranch}{version="unknown"} 1`);
  assert.match(body, `${METRIC.sitesByWordpressBranch}{version="6.9"} 3`);
  assert.match(body, `${METRIC.sitesByWordpressBranch}{version="6.1"} 1`);
  assert.match(body, `${METRIC.sitesByPluginBranch}{version="1.2"} 3`);
  assert.match(body, `${METRIC.sitesByCronMode}{mode="disabled"} 1`);
  assert.match(body, `${METRIC.sitesByEnvironment}{environment="staging"} 1`);
  // every kind has its series; the staging site has three items, the 1.1 site one
  assert.match(body, `${METRIC.sitesAttention}{kind="php_unsupported"} 1`);
  assert.match(body, `${METRIC.sitesAttention}{kind="cron_disabled"} 1`);
  assert.match(body, `${METRIC.sitesAttention}{kind="not_production"} 1`);
  assert.match(body, `${METRIC.sitesAttention}{kind="plugin_outdated"} 1`);
  assert.match(body, `${METRIC.sitesAttention}{kind="wordpress_outdated"} 0`);

  const admin = await createOwner(ctx.db, { role: 'admin' });
  const page = await (await loggedIn(ctx.app, admin.user.email, admin.password)).get('/admin/fleet');
  assert.is(page.statusCode, 200);
  const row = (table: string, value: string) => new RegExp(`<table id="fleet-${table}">[\\s\\S]*?<tr data-value="${value.replace('.', '\\.')}"><td>[^<]*(?:<small>[^<]*</small>)?</td><td>(\\d+)</td>`).exec(page.body)?.[1];
  assert.is(row('php', '8.3'), '2');
  assert.is(row('php', 'unknown'), '1');
  assert.is(row('cron', 'disabled'), '1');
  assert.is(row('environment', 'staging'), '1');
  assert.is(row('attention', 'php_unsupported'), '1');
  assert.is(row('attention', 'plugin_outdated'), '1');
  assert.match(page.body, /<strong>2<\/strong> connected site\(s\) have at least one attention item/);
});

test.run();
