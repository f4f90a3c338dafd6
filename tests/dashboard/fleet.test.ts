import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { freshDatabase } from '../helpers/database.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { Database } from '../../src/db/database.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { fresh: Database; admin: Browser; owner: Browser; tokens: Record<string, string>; plans: Record<string, Record<string, unknown>> };
const test = suite<Ctx>('admin fleet page');

// An empty database, so the counts are exactly what this suite creates.
test.before(async (ctx) => {
  ctx.fresh = await freshDatabase();
  await migrate(ctx.fresh);
  Object.assign(ctx, await buildTestApp({ db: ctx.fresh, dashboard: { latestPluginVersion: '1.10.0' } }));
  const admin = await createOwner(ctx.db, { role: 'admin' });
  const owner = await createOwner(ctx.db);
  const send = (token: string, body: Record<string, unknown>) => postHeartbeat(ctx.app, token, heartbeatBody(body));
  const plans: Array<[string, Record<string, unknown> | null]> = [
    ['Current A', { plugin_version: '1.10.0', wp_version: '6.4.2', site_url: 'https://current-a.example' }],
    ['Current B', { plugin_version: '1.10.0', wp_version: '6.5', site_url: 'https://current-b.example' }],
    ['Old C', { plugin_version: '1.9.2', wp_version: '6.4.2', site_url: 'https://old-c.example' }],
    ['Off D', { plugin_version: '1.0.0', wp_version: '5.9', is_active: false, site_url: 'https://off-d.example' }],
    ['Never E', null],
  ];
  ctx.tokens = {};
  ctx.plans = {};
  for (const [name, body] of plans) {
    const { token } = await createBotFor(ctx.db, owner.user.id, { name });
    ctx.tokens[name] = token;
    if (body) {
      ctx.plans[name] = body;
      await send(token, body);
    }
  }
  ctx.admin = await loggedIn(ctx.app, admin.user.email, admin.password);
  ctx.owner = await loggedIn(ctx.app, owner.user.email, owner.password);
});
test.after(async (ctx) => {
  await ctx.app.close();
  await ctx.fresh.close();
});

test('counts bots by status', async (ctx) => {
  const page = await ctx.admin.get('/admin/fleet');
  assert.is(page.statusCode, 200);
  const count = (label: string) => new RegExp(`${label}</span> <strong>(\\d+)</strong>`).exec(page.body)?.[1];
  // 2 connected, 1 deactivated, 1 never... and C is connected too
  assert.is(count('Connected'), '3');
  assert.is(count('Plugin deactivated'), '1');
  assert.is(count('Not connected'), '1');
  assert.is(count('Stale'), '0');
  assert.match(page.body, /5 bots in all/);
});

test('shows the plugin and WordPress version distributions and how many sites are outdated', async (ctx) => {
  const page = await ctx.admin.get('/admin/fleet');
  // 1.9.2 and 1.0.0 are older than 1.10.0 (compared as versions, not text)
  assert.match(page.body, /<strong>2<\/strong> sites \(50%\) run a plugin older than 1\.10\.0/);
  assert.match(page.body, /1\.10\.0<\/a><\/td><td>2<\/td><td>50%<\/td>/);
  assert.match(page.body, /1\.9\.2<\/a> \(outdated\)/);
  // WordPress 6.4.2 on two sites
  assert.match(page.body, /6\.4\.2<\/a><\/td><td>2<\/td>/);
});

test('lists every connection with its owner, filtered by status, version or search', async (ctx) => {
  const all = await ctx.admin.get('/admin/fleet/connections', { 'hx-request': 'true' });
  // the four bots that reported, not the one that never did
  for (const name of ['Current A', 'Current B', 'Old C', 'Off D']) assert.ok(all.body.includes(name), name);
  assert.not.ok(all.body.includes('Never E'));
  assert.match(all.body, /@example\.test/);
  const deactivated = await ctx.admin.get('/admin/fleet/connections?status=deactivated');
  // by status
  assert.ok(deactivated.body.includes('Off D'));
  assert.not.ok(deactivated.body.includes('Current A'));
  const byPlugin = await ctx.admin.get('/admin/fleet/connections?plugin=1.9.2');
  // by plugin version
  assert.ok(byPlugin.body.includes('Old C'));
  assert.not.ok(byPlugin.body.includes('Current'));
  const bySearch = await ctx.admin.get('/admin/fleet/connections?q=current-b');
  // by site
  assert.ok(bySearch.body.includes('Current B'));
  assert.not.ok(bySearch.body.includes('Current A'));
});

test('owners cannot open the fleet page', async (ctx) => {
  for (const url of ['/admin/fleet', '/admin/fleet/connections']) {
    const response = await ctx.owner.get(url);
    // 404
    assert.is(response.statusCode, 404);
    assert.not.ok(response.body.includes('Current A'));
  }
});

test('a bot inside a weekly maintenance window shows Maintenance on the fleet page, as on its owner\'s list', async (ctx) => {
  const { rows } = await ctx.db.query<{ id: string; user_id: string }>("SELECT id, user_id FROM bots WHERE name = 'Current A'");
  const bot = rows[0]!;
  // a weekly window of this bot that began an hour ago (the owner's zone is UTC) and lasts two
  const began = new Date(Date.now() - 3_600_000);
  const schedule = await ctx.db.query<{ id: string }>(
    `INSERT INTO maintenance_schedules (user_id, bot_id, weekday, start_minute, duration_minutes, created_at)
     VALUES ($1, $2, $3, $4, 120, $5) RETURNING id`,
    [bot.user_id, bot.id, ((began.getUTCDay() + 6) % 7) + 1, began.getUTCHours() * 60 + began.getUTCMinutes(), new Date(Date.now() - 86_400_000)],
  );
  try {
    const row = (body: string) => new RegExp(`Current A[\\s\\S]*?</tr>`).exec(body)?.[0] ?? '';
    // the owner's list and the admin's fleet page both show it in maintenance
    assert.match(row((await ctx.owner.get('/bots')).body), 'data-maintenance=');
    assert.match(row((await ctx.admin.get('/admin/fleet')).body), 'data-maintenance=');
    // and a bot in no window does not
    assert.not.match(/Current B[\s\S]*?<\/tr>/.exec((await ctx.admin.get('/admin/fleet')).body)?.[0] ?? 'data-maintenance=', 'data-maintenance=');
  } finally {
    await ctx.db.query('DELETE FROM maintenance_schedules WHERE id = $1', [schedule.rows[0]!.id]);
  }
});

test('lists the latest status change first: a site that just went from connected to deactivated is on top', async (ctx) => {
  const names = (body: string) => [...body.matchAll(/(Current A|Current B|Old C|Off D)/g)].map((m) => m[1]);
  const before = names((await ctx.admin.get('/admin/fleet/connections', { 'hx-request': 'true' })).body);
  // the connected site listed last (all reported at the same time, so their order is by id)
  const last = before.filter((name) => name !== 'Off D').at(-1)!;
  assert.is.not(before[0], last);
  ctx.clock.advance(60_000);
  // its plugin reports itself deactivated a minute later
  await postHeartbeat(ctx.app, ctx.tokens[last]!, heartbeatBody({ ...ctx.plans[last], is_active: false }));
  const after = names((await ctx.admin.get('/admin/fleet/connections', { 'hx-request': 'true' })).body);
  assert.is(after[0], last);
  // the others keep their order below it
  assert.equal(after.slice(1), before.filter((name) => name !== last));
});

test.run();
