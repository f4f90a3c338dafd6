import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import client from 'prom-client';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createSweep } from '../../src/alerts/sweep.ts';
import { registerFleetMetrics } from '../../src/observability/fleet-metrics.ts';
import { METRIC } from '../../src/metrics.ts';
import { buildTestApp, createBotFor, createClock, createOwner, heartbeatBody, type Clock, postHeartbeat } from '../helpers/app.ts';
import { freshDatabase } from '../helpers/database.ts';

// These gauges count the whole fleet, so this suite owns an empty database instead of the shared one.
interface Ctx {
  db: Database;
  clock: Clock;
  app: Awaited<ReturnType<typeof buildTestApp>>['app'];
}
const test = suite<Ctx>('fleet metrics');

test.before(async (ctx) => {
  ctx.db = await freshDatabase();
  await migrate(ctx.db);
  ctx.clock = createClock(new Date('2026-11-25T12:00:00Z'));
  ctx.app = (await buildTestApp({ db: ctx.db, clock: ctx.clock })).app;
});
test.after(async (ctx) => {
  await ctx.app.close();
  await ctx.db.close();
});
test.before.each(async (ctx) => {
  await ctx.db.query('DELETE FROM bots');
});

const heartbeat = (ctx: Ctx, token: string, overrides: Record<string, unknown> = {}) =>
  postHeartbeat(ctx.app, token, heartbeatBody(overrides));

/** A registry with only the fleet gauges, without caching, on the suite's clock. */
function fleetRegistry(ctx: Ctx, options: { cacheMs?: number; serveStaleMs?: number; topVersions?: number } = {}) {
  const registry = new client.Registry();
  const cache = registerFleetMetrics(registry, { db: ctx.db, now: ctx.clock.now, cacheMs: 0, serveStaleMs: 0, ...options });
  return { registry, cache };
}

/** Every sample of the registry as "name{labels}" → value. */
async function samples(registry: client.Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const value of metric.values) {
      const labels = Object.entries(value.labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      out.set(labels ? `${metric.name}{${labels}}` : metric.name, value.value);
    }
  }
  return out;
}

/** The stale sweep on the suite's database, with the 10-minute threshold the suite's bots use. */
const sweep = (ctx: Ctx) =>
  createSweep({ db: ctx.db, staleAfterMs: 10 * 60_000, alertRepeatMs: 86_400_000, stormFraction: 1, stormMin: 1_000 }).run(ctx.clock.now());

test('counts bots by effective status: never, connected, deactivated, disabled and stale', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  await createBotFor(ctx.db, user.id, { name: 'never' });
  const connected = await createBotFor(ctx.db, user.id, { name: 'connected' });
  const goingStale = await createBotFor(ctx.db, user.id, { name: 'going stale' });
  const deactivated = await createBotFor(ctx.db, user.id, { name: 'deactivated' });
  const disabled = await createBotFor(ctx.db, user.id, { name: 'disabled' });
  await heartbeat(ctx, goingStale.token);
  await heartbeat(ctx, disabled.token);
  await ctx.db.query('UPDATE bots SET is_active = false WHERE id = $1', [disabled.bot.id]);
  // Eleven minutes later the first site has been silent past the 10-minute threshold, and the sweep flips it.
  ctx.clock.advance(11 * 60_000);
  await heartbeat(ctx, connected.token);
  await heartbeat(ctx, deactivated.token, { is_active: false });
  await sweep(ctx);

  const values = await samples(fleetRegistry(ctx).registry);
  // one bot in each status
  assert.is(values.get(`${METRIC.connections}{status="never"}`), 1);
  assert.is(values.get(`${METRIC.connections}{status="connected"}`), 1);
  assert.is(values.get(`${METRIC.connections}{status="stale"}`), 1);
  assert.is(values.get(`${METRIC.connections}{status="deactivated"}`), 1);
  assert.is(values.get(`${METRIC.connections}{status="disabled"}`), 1);
  // the stale gauge counts the stale bot
  assert.is(values.get(METRIC.staleConnections), 1);
});

test('counts a silent bot as stale only once the sweep has flipped it, as the fleet page does', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const silent = await createBotFor(ctx.db, user.id);
  const patient = await createBotFor(ctx.db, user.id);
  await heartbeat(ctx, silent.token);
  await heartbeat(ctx, patient.token);
  await ctx.db.query('UPDATE bots SET stale_grace_seconds = 3600 WHERE id = $1', [patient.bot.id]);
  ctx.clock.advance(30 * 60_000);
  const { registry } = fleetRegistry(ctx);
  let values = await samples(registry);
  // before the sweep both are still connected: the sweep alone decides "stale" (grace, our own downtime)
  assert.is(values.get(METRIC.staleConnections), 0);
  assert.is(values.get(`${METRIC.connections}{status="connected"}`), 2);
  await sweep(ctx);
  values = await samples(registry);
  // the sweep flipped the silent one; the one with an hour of grace is still connected after 30 minutes
  assert.is(values.get(METRIC.staleConnections), 1);
  assert.is(values.get(`${METRIC.connections}{status="connected"}`), 1);
});

test('reports connected sites by plugin and WordPress version, the tail summed as "other"', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const versions = ['1.1.0', '1.1.0', '1.1.0', '1.0.9', '1.0.9', '1.0.0', '0.9.0'];
  for (const [i, version] of versions.entries()) {
    const { token } = await createBotFor(ctx.db, user.id);
    await heartbeat(ctx, token, { plugin_version: version, wp_version: i < 4 ? '6.4.2' : '6.1.1', site_url: `https://s${i}.example.com` });
  }
  // A deactivated site is not counted among the versions in use.
  const off = await createBotFor(ctx.db, user.id);
  await heartbeat(ctx, off.token, { plugin_version: '9.9.9', is_active: false });

  const values = await samples(fleetRegistry(ctx, { topVersions: 2 }).registry);
  // the two most common plugin versions keep their label, the other two versions are one series
  assert.is(values.get(`${METRIC.pluginVersions}{version="1.1.0"}`), 3);
  assert.is(values.get(`${METRIC.pluginVersions}{version="1.0.9"}`), 2);
  assert.is(values.get(`${METRIC.pluginVersions}{version="other"}`), 2);
  assert.is(values.get(`${METRIC.pluginVersions}{version="9.9.9"}`), undefined);
  // WordPress versions likewise
  assert.is(values.get(`${METRIC.wpVersions}{version="6.4.2"}`), 4);
  assert.is(values.get(`${METRIC.wpVersions}{version="6.1.1"}`), 3);
  // at most topVersions + 1 series per version gauge
  assert.is([...values.keys()].filter((k) => k.startsWith(METRIC.pluginVersions)).length, 3);
});

test('reuses one summary within the cache time, then refreshes it in the background', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const { registry, cache } = fleetRegistry(ctx, { cacheMs: 5_000, serveStaleMs: 60_000 });
  const never = async () => (await samples(registry)).get(`${METRIC.connections}{status="never"}`);
  const before = await never();
  await createBotFor(ctx.db, user.id);
  // within five seconds the new bot is not seen yet
  assert.is(await never(), before);
  ctx.clock.advance(6_000);
  // past the cache time the scrape still answers at once with the old summary…
  assert.is(await never(), before);
  await cache.settled();
  // …and the refresh it started counts the new bot
  assert.is(await never(), (before ?? 0) + 1);
  ctx.clock.advance(120_000);
  await createBotFor(ctx.db, user.id);
  // past the serve-stale limit the scrape waits for a fresh summary
  assert.is(await never(), (before ?? 0) + 2);
});

test('leaves the fleet series out of a scrape when the database cannot answer', async (ctx) => {
  const errors: unknown[] = [];
  const broken = { query: async () => Promise.reject(new Error('database down')), exec: async () => {} };
  const registry = new client.Registry();
  registerFleetMetrics(registry, { db: broken, now: ctx.clock.now, onError: (e) => errors.push(e) });
  const text = await registry.metrics();
  // the scrape still succeeds, without fleet samples, and the error is reported once
  assert.not.match(text, new RegExp(`^${METRIC.connections}\\{`, 'm'));
  assert.is(errors.length, 1);
});

test('serves the fleet gauges at GET /metrics of the app', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const { token } = await createBotFor(ctx.db, user.id);
  await heartbeat(ctx, token);
  const response = await ctx.app.inject({ method: 'GET', url: '/metrics' });
  // 200 with the fleet gauges and the connected bot counted
  assert.is(response.statusCode, 200);
  for (const gauge of [METRIC.connections, METRIC.staleConnections, METRIC.pluginVersions, METRIC.wpVersions]) {
    assert.match(response.body, `# TYPE ${gauge} gauge`);
  }
  assert.match(response.body, `${METRIC.connections}{status="connected"} 1`);
  assert.match(response.body, `${METRIC.staleConnections} 0`);
  assert.match(response.body, `${METRIC.pluginVersions}{version="1.1.0"} 1`);
  assert.match(response.body, `${METRIC.wpVersions}{version="6.1.1"} 1`);
});

test('protects /metrics with METRICS_TOKEN when it is set', async (ctx) => {
  const { app } = await buildTestApp({ db: ctx.db, clock: ctx.clock, env: { METRICS_TOKEN: 'scrape-secret' } });
  try {
    const anonymous = await app.inject({ method: 'GET', url: '/metrics' });
    const authorised = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-secret' } });
    // no token: 401 in the house error shape; right token: the metrics
    assert.is(anonymous.statusCode, 401);
    assert.is(anonymous.json().success, false);
    assert.is(authorised.statusCode, 200);
    assert.match(authorised.body, METRIC.connections);
  } finally {
    await app.close();
  }
});

test.run();
