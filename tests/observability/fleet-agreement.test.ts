import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSweep } from '../../src/alerts/sweep.ts';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { CONNECTION_STATUSES } from '../../src/domain/connection-status.ts';
import { METRIC } from '../../src/metrics.ts';
import { STATUS_LABELS } from '../../src/dashboard/view-models.ts';
import { buildTestApp, createBotFor, createClock, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';
import { freshDatabase } from '../helpers/database.ts';

// Grafana (from /metrics) and the admin fleet page must tell the same story about the same bots:
// both count the whole fleet, so this suite owns an empty database.
type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { fresh: Database; admin: Browser };
const test = suite<Ctx>('fleet page and metrics agree');

const STALE_AFTER_MS = 10 * 60_000;

test.before(async (ctx) => {
  ctx.fresh = await freshDatabase();
  await migrate(ctx.fresh);
  Object.assign(ctx, await buildTestApp({ db: ctx.fresh, clock: createClock(new Date('2026-11-25T12:00:00Z')), env: { STALE_AFTER: '10m' } }));
  const admin = await createOwner(ctx.db, { role: 'admin' });
  const owner = await createOwner(ctx.db);
  const bot = async (name: string) => (await createBotFor(ctx.db, owner.user.id, { name })).token;
  const send = (token: string, body: Record<string, unknown> = {}) => postHeartbeat(ctx.app, token, heartbeatBody(body));
  // Two never connected, three connected, two stale (flipped by the sweep), one silent but not yet
  // swept, one deactivated, one disconnected, one disabled after it connected.
  await bot('Never A');
  await bot('Never B');
  const stale = [await bot('Stale C'), await bot('Stale D')];
  const disabled = await bot('Disabled E');
  for (const token of [...stale, disabled]) await send(token, { plugin_version: '1.0.0' });
  await ctx.db.query("UPDATE bots SET is_active = false WHERE name = 'Disabled E'");
  ctx.clock.advance(STALE_AFTER_MS + 60_000);
  await createSweep({ db: ctx.db, staleAfterMs: STALE_AFTER_MS, alertRepeatMs: 86_400_000, stormFraction: 1, stormMin: 1_000 }).run(ctx.clock.now());
  const silent = await bot('Silent F');
  await send(silent, { plugin_version: '1.1.0' });
  for (const name of ['Connected G', 'Connected H', 'Connected I']) await send(await bot(name), { plugin_version: '1.1.0' });
  await send(await bot('Deactivated J'), { is_active: false });
  const disconnected = await bot('Disconnected K');
  await send(disconnected);
  await ctx.app.inject({ method: 'POST', url: '/api/bots/wordpress-disconnect', headers: { 'x-bot-token': disconnected } });
  // Silent F is now past its threshold, but no sweep has run since.
  ctx.clock.advance(STALE_AFTER_MS + 60_000);
  ctx.admin = await loggedIn(ctx.app, admin.user.email, admin.password);
});
test.after(async (ctx) => {
  await ctx.app.close();
  await ctx.fresh.close();
});

/** agentdesk_connections by status, from the text exposition of /metrics. */
async function metricCounts(ctx: Ctx): Promise<Record<string, number>> {
  const response = await ctx.app.inject({ method: 'GET', url: '/metrics' });
  assert.is(response.statusCode, 200);
  const counts: Record<string, number> = {};
  for (const match of response.body.matchAll(new RegExp(`^${METRIC.connections}\\{status="(\\w+)"\\} (\\d+)$`, 'gm'))) {
    counts[match[1]!] = Number(match[2]);
  }
  const stale = new RegExp(`^${METRIC.staleConnections} (\\d+)$`, 'm').exec(response.body)?.[1];
  counts.staleGauge = Number(stale);
  return counts;
}

/** The counts by status the admin fleet page shows. */
async function pageCounts(ctx: Ctx): Promise<{ counts: Record<string, number>; total: number }> {
  const page = await ctx.admin.get('/admin/fleet');
  assert.is(page.statusCode, 200);
  const counts: Record<string, number> = {};
  for (const status of CONNECTION_STATUSES) {
    counts[status] = Number(new RegExp(`${STATUS_LABELS[status].label}</span> <strong>(\\d+)</strong>`).exec(page.body)?.[1]);
  }
  return { counts, total: Number(/(\d+) bots in all/.exec(page.body)?.[1]) };
}

test('/metrics and /admin/fleet count every status alike on the same bots', async (ctx) => {
  const metrics = await metricCounts(ctx);
  const page = await pageCounts(ctx);
  for (const status of CONNECTION_STATUSES) {
    // the same count for each status on both
    assert.is(metrics[status], page.counts[status], status);
  }
  // and the counts are the fleet as built: the silent, unswept bot is still connected on both
  assert.equal(page.counts, { never: 2, connected: 4, stale: 2, deactivated: 1, disconnected: 1, disabled: 1 });
  // the stale gauge is the stale status, and both count all eleven bots
  assert.is(metrics.staleGauge, page.counts.stale);
  assert.is(page.total, 11);
});

test.run();
