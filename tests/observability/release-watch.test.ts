// Release watch: connected and stale sites per plugin version (major.minor, bounded), and when the
// service first served each release, as Prometheus gauges read from the database.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import client from 'prom-client';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { foldVersionCounts, RELEASE_WATCH_MAX_SERIES, type VersionStatusCount } from '../../src/domain/release-watch.ts';
import { RELEASE_WATCH_METRIC, registerReleaseWatchMetrics } from '../../src/observability/release-watch-metrics.ts';
import { buildTestApp, createBotFor, createClock, createOwner, heartbeatBody, postHeartbeat, type Clock } from '../helpers/app.ts';
import { freshDatabase } from '../helpers/database.ts';

// These gauges count the whole fleet, so this suite owns an empty database.
interface Ctx {
  db: Database;
  clock: Clock;
  app: Awaited<ReturnType<typeof buildTestApp>>['app'];
}
const test = suite<Ctx>('release watch');

test.before(async (ctx) => {
  ctx.db = await freshDatabase();
  await migrate(ctx.db);
  ctx.clock = createClock(new Date('2026-12-04T12:00:00Z'));
  ctx.app = (await buildTestApp({ db: ctx.db, clock: ctx.clock, dashboard: { latestPluginVersion: '1.3.0' } })).app;
});
test.after(async (ctx) => {
  await ctx.app.close();
  await ctx.db.close();
});

test('versions fold to major.minor; past 20 the least used are summed as "other"', () => {
  const rows: VersionStatusCount[] = Array.from({ length: 30 }, (_, i) => ({ version: `1.${i}.${i % 3}`, status: 'connected', count: 100 - i }));
  rows.push({ version: '1.0.7', status: 'stale', count: 5 }, { version: 'nightly', status: 'stale', count: 1 });
  const folded = foldVersionCounts(rows);
  // bounded
  assert.is(folded.length, RELEASE_WATCH_MAX_SERIES);
  // 1.0.0 and 1.0.7 are one series
  assert.equal(folded[0], { version: '1.0', connected: 100, stale: 5 });
  // the rest, and versions without major.minor, are "other", last
  const other = folded.at(-1)!;
  assert.is(other.version, 'other');
  assert.is(other.connected, rows.filter((r) => r.status === 'connected').slice(19).reduce((sum, r) => sum + r.count, 0));
  assert.is(other.stale, 1);
});

test('/metrics reports connected and stale sites per plugin version, and when the served release was first served', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const bots = [];
  for (const version of ['1.2.0', '1.2.1', '1.3.0', '1.3.0']) {
    const { bot, token } = await createBotFor(ctx.db, user.id);
    await postHeartbeat(ctx.app, token, heartbeatBody({ plugin_version: version }));
    bots.push(bot);
  }
  await ctx.db.query("UPDATE bots SET connection_status = 'stale' WHERE id = $1", [bots[2]!.id]);
  const body = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
  // two sites on 1.2 (folded), one of two on 1.3 stale
  assert.match(body, `${RELEASE_WATCH_METRIC.sites}{version="1.2",status="connected"} 2`);
  assert.match(body, `${RELEASE_WATCH_METRIC.sites}{version="1.2",status="stale"} 0`);
  assert.match(body, `${RELEASE_WATCH_METRIC.sites}{version="1.3",status="connected"} 1`);
  assert.match(body, `${RELEASE_WATCH_METRIC.sites}{version="1.3",status="stale"} 1`);
  // the release this service serves, first served at the first scrape
  assert.match(body, `${RELEASE_WATCH_METRIC.firstServed}{version="1.3"} ${ctx.clock.now().getTime() / 1000}`);
});

test('the first time a release was served is kept across restarts: a later instance does not move it', async (ctx) => {
  const first = ctx.clock.now().getTime() / 1000;
  const registry = new client.Registry();
  const later = new Date(ctx.clock.now().getTime() + 86_400_000);
  registerReleaseWatchMetrics(registry, { db: ctx.db, now: () => later, servedVersion: '1.3.0' });
  const text = await registry.metrics();
  // still the first instance's time
  assert.match(text, `${RELEASE_WATCH_METRIC.firstServed}{version="1.3"} ${first}`);
});

test('with the database down the gauges are left out of the scrape, and the error is reported', async (ctx) => {
  const errors: unknown[] = [];
  const registry = new client.Registry();
  const broken = { query: async () => Promise.reject(new Error('connection refused')) } as unknown as Database;
  registerReleaseWatchMetrics(registry, { db: broken, now: ctx.clock.now, servedVersion: '1.3.0', onError: (e) => errors.push(e) });
  const text = await registry.metrics();
  // no series, no crash, two reports (one per gauge)
  assert.not.match(text, `${RELEASE_WATCH_METRIC.sites}{`);
  assert.is(errors.length, 2);
});

test.run();
