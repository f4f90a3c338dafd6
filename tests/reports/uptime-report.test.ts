// The monthly uptime report from a real history: heartbeats, a stale episode with its diagnosis,
// maintenance opened and ended through the API, a weekly window, and our own ingest outage.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createClock, createOwner, postHeartbeat } from '../helpers/app.ts';
import { freshDatabase } from '../helpers/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { markIngestAlive } from '../../src/alerts/ingest-liveness.ts';
import { parseCommand, RAW_OUTPUT, runCommand } from '../../src/cli/commands.ts';
import { DEFAULT_QUOTAS } from '../../src/domain/quotas.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { owner: Awaited<ReturnType<typeof createOwner>>; site: string; quiet: string };
const test = suite<Ctx>('the monthly uptime report');

const HOUR = 3600;
const at = (iso: string) => new Date(iso);

test.before(async (ctx) => {
  // Its own database: the service-wide ingest stamps of other suites must not meet this clock.
  const db = await freshDatabase();
  await migrate(db);
  Object.assign(ctx, await buildTestApp({ db, clock: createClock(at('2026-10-01T09:00:00Z')) }));
  ctx.owner = await createOwner(ctx.db, { timezone: 'Europe/Berlin' });
  const api = (method: 'POST' | 'DELETE', url: string, body?: unknown) =>
    ctx.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${ctx.owner.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });

  // 1 October: a weekly window for all sites, Sundays 03:00–04:00 Berlin time
  assert.is((await api('POST', '/api/maintenance/schedules', { weekday: 7, start: '03:00', minutes: 60 })).statusCode, 201);
  const { bot, token } = await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Shop' });
  ctx.site = bot.id;
  ctx.quiet = (await createBotFor(ctx.db, ctx.owner.user.id, { name: 'Never installed' })).bot.id;
  // 20 October: the site connects
  ctx.clock.set(at('2026-10-20T10:00:00Z'));
  assert.is((await postHeartbeat(ctx.app, token)).statusCode, 200);
  // 10 November: stale from 10:00 to 13:00 UTC, the probe found the site itself down
  await ctx.db.query(
    `WITH flip AS (
       INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason)
       VALUES ($1, '2026-11-10T10:00:00Z', 'status', 'connected', 'stale', 'no_heartbeat') RETURNING id
     )
     INSERT INTO alert_episodes (id, bot_id, opened_at, last_seen_at, diagnosis, diagnosis_detail, closed_at, closed_to_status)
     SELECT id, $1, '2026-11-10T10:00:00Z', '2026-11-10T09:55:00Z', 'site_down', 'connection refused', '2026-11-10T13:00:00Z', 'connected' FROM flip`,
    [bot.id],
  );
  await ctx.db.query(
    `INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason)
     VALUES ($1, '2026-11-10T13:00:00Z', 'status', 'stale', 'connected', 'heartbeat')`,
    [bot.id],
  );
  // 15 November: four hours of maintenance opened at 08:00 UTC, ended at 10:00
  ctx.clock.set(at('2026-11-15T08:00:00Z'));
  assert.is((await api('POST', `/api/bots/${bot.id}/maintenance`, { minutes: 240 })).statusCode, 200);
  ctx.clock.set(at('2026-11-15T10:00:00Z'));
  assert.is((await api('DELETE', `/api/bots/${bot.id}/maintenance`)).statusCode, 200);
  // 20 November: our own ingest is down from 00:00 to 01:00 UTC
  await markIngestAlive(ctx.db, at('2026-11-20T00:00:00Z'));
  await markIngestAlive(ctx.db, at('2026-11-20T01:00:00Z'));
  ctx.clock.set(at('2026-12-04T12:00:00Z'));
});
test.after(async (ctx) => {
  await ctx.app.close();
  await ctx.db.close();
});

const get = (ctx: Ctx, url: string, apiKey = ctx.owner.apiKey) => ctx.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${apiKey}` } });

test("November in the owner's time zone: maintenance and our outage left out, the incident with its diagnosis", async (ctx) => {
  const response = await get(ctx, '/api/reports/uptime?month=2026-11');
  assert.is(response.statusCode, 200, response.body);
  const report = response.json();
  assert.equal(report.period, { start: '2026-10-31T23:00:00.000Z', end: '2026-11-30T23:00:00.000Z' });
  assert.is(report.partial, false);
  const shop = report.sites.find((site: { bot_id: string }) => site.bot_id === ctx.site).figures;
  // five Sundays of one hour, plus the two hours before "end now"
  assert.is(shop.maintenance_seconds, 7 * HOUR);
  assert.is(shop.downtime_seconds, 3 * HOUR);
  assert.is(shop.unknown_seconds, HOUR);
  assert.is(shop.up_seconds, (720 - 11) * HOUR);
  assert.is(shop.uptime_percent, 99.579);
  assert.equal(shop.incidents, [
    { start: '2026-11-10T10:00:00.000Z', end: '2026-11-10T13:00:00.000Z', downtime_seconds: 3 * HOUR, diagnosis: 'site_down', detail: 'connection refused' },
  ]);
  assert.is(shop.longest_outage_seconds, 3 * HOUR);
  assert.is(shop.mttr_seconds, 3 * HOUR);
  // the site that never connected is unmonitored all month (but for the weekly window and our outage), and leaves the total's percentage alone
  const quiet = report.sites.find((site: { bot_id: string }) => site.bot_id === ctx.quiet).figures;
  assert.is(quiet.unmonitored_seconds, 720 * HOUR - 5 * HOUR - HOUR);
  assert.is(quiet.uptime_percent, null);
  assert.is(report.totals.uptime_percent, 99.579);
});

test('one site, as CSV and as HTML', async (ctx) => {
  const csv = await get(ctx, `/api/reports/uptime?month=2026-11&bot_id=${ctx.site}&format=csv`);
  assert.is(csv.statusCode, 200);
  assert.match(csv.headers['content-type'] as string, /^text\/csv/);
  const lines = csv.body.trim().split('\r\n');
  assert.is(lines.length, 3);
  assert.match(lines[1]!, /^Shop,https:\/\/shop\.example\.com,99\.579,2552400,10800,25200,3600,0,1,10800,10800$/);
  const html = await get(ctx, `/api/reports/uptime?month=2026-11&bot_id=${ctx.site}&format=html`);
  assert.match(html.body, /99\.579 %/);
  assert.match(html.body, /the website itself is not answering/);
});

test("the month still running stops at now; other owners' sites, bad months and future months are refused", async (ctx) => {
  const december = (await get(ctx, '/api/reports/uptime?month=2026-12')).json();
  assert.is(december.partial, true);
  const other = await createOwner(ctx.db);
  assert.is((await get(ctx, `/api/reports/uptime?month=2026-11&bot_id=${ctx.site}`, other.apiKey)).statusCode, 404);
  // another owner's report holds none of these sites
  assert.equal((await get(ctx, '/api/reports/uptime?month=2026-11', other.apiKey)).json().sites, []);
  for (const [query, message] of [
    ['month=2026-13', /calendar month such as 2026-11/],
    ['month=last', /calendar month/],
    ['month=2027-01', /has not begun/],
    ['', /month/],
  ] as const) {
    const response = await get(ctx, `/api/reports/uptime?${query}`);
    assert.is(response.statusCode, 400, query);
    assert.match(response.json().message, message);
  }
  assert.is((await ctx.app.inject({ method: 'GET', url: '/api/reports/uptime?month=2026-11' })).statusCode, 401);
});

test('the CLI prints the same report, in the format asked for', async (ctx) => {
  const deps = { db: ctx.db, now: ctx.clock.now, quotas: DEFAULT_QUOTAS };
  const json = await runCommand(deps, parseCommand(['report', '--owner', ctx.owner.user.email, '--month', '2026-11']));
  assert.is((json.totals as { uptime_percent: number }).uptime_percent, 99.579);
  const csv = await runCommand(deps, parseCommand(['report', '--owner', ctx.owner.user.email, '--month', '2026-11', '--bot', ctx.site, '--format', 'csv']));
  assert.match(String(csv[RAW_OUTPUT as unknown as string]), /^site,site_url,uptime_percent/);
  assert.throws(() => parseCommand(['report', '--owner', ctx.owner.user.email, '--month', '2026-11', '--format', 'pdf']), /--format must be one of json, csv, html/);
  assert.throws(() => parseCommand(['report', '--owner', ctx.owner.user.email]), /--month is required/);
});

test.run();
