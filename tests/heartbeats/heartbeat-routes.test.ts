import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { findOwnedBot, listConnectionEvents } from '../../src/db/bots.ts';
import { maintainHistoryPartitions } from '../../src/db/history-partitions.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('POST /api/bots/wordpress-heartbeat');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const send = (ctx: Ctx, token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
  postHeartbeat(ctx.app, token, body, headers);

async function newBot(ctx: Ctx, fields: Record<string, unknown> = {}) {
  const { user } = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, user.id, fields);
  return { user, bot, token };
}

test('accepts a heartbeat and records the site, versions and last activity', async (ctx) => {
  const { user, bot, token } = await newBot(ctx);
  const response = await send(ctx, token, heartbeatBody());
  // the seed's success body
  assert.is(response.statusCode, 200);
  assert.equal(response.json(), { success: true, message: 'WordPress connection updated successfully' });
  const stored = await findOwnedBot(ctx.db, user.id, bot.id);
  // connected, with everything the plugin reported
  assert.is(stored?.connection_status, 'connected');
  assert.is(stored?.wordpress_connected, true);
  assert.is(stored?.wordpress_site_url, 'https://shop.example.com');
  assert.is(stored?.wordpress_plugin_version, '1.1.0');
  assert.is(stored?.wordpress_wp_version, '6.1.1');
  assert.equal(stored?.wordpress_last_activity, ctx.clock.now());
});

test('ignores unknown fields', async (ctx) => {
  const { token } = await newBot(ctx);
  const response = await send(ctx, token, heartbeatBody({ admin_email: 'x@y.z', extra: [1, 2] }));
  // unknown fields do not make the heartbeat invalid
  assert.is(response.statusCode, 200);
});

test('writes one event per status change: never→connected once, connected→deactivated, deactivated→connected', async (ctx) => {
  const { bot, token } = await newBot(ctx);
  await send(ctx, token, heartbeatBody());
  await send(ctx, token, heartbeatBody());
  await send(ctx, token, heartbeatBody({ is_active: false }));
  await send(ctx, token, heartbeatBody({ is_active: false }));
  await send(ctx, token, heartbeatBody());
  const events = (await listConnectionEvents(ctx.db, bot.id)).filter((e) => e.kind === 'status').reverse();
  // exactly the three real transitions, in order
  assert.equal(
    events.map((e) => [e.from_status, e.to_status, e.reason]),
    [
      ['never', 'connected', 'heartbeat'],
      ['connected', 'deactivated', 'plugin_deactivated'],
      ['deactivated', 'connected', 'heartbeat'],
    ],
  );
});

test('a deactivation heartbeat sets status deactivated and wordpress_connected false', async (ctx) => {
  const { user, bot, token } = await newBot(ctx);
  await send(ctx, token, heartbeatBody());
  const response = await send(ctx, token, heartbeatBody({ is_active: false }));
  const stored = await findOwnedBot(ctx.db, user.id, bot.id);
  // still a 200: the plugin told us something true
  assert.is(response.statusCode, 200);
  // the seed's flag follows the status
  assert.is(stored?.connection_status, 'deactivated');
  assert.is(stored?.wordpress_connected, false);
});

test('a stale bot that reports again becomes connected with a stale→connected event', async (ctx) => {
  const { user, bot, token } = await newBot(ctx);
  await send(ctx, token, heartbeatBody());
  await ctx.db.query("UPDATE bots SET connection_status = 'stale', wordpress_connected = false WHERE id = $1", [bot.id]);
  await send(ctx, token, heartbeatBody());
  const stored = await findOwnedBot(ctx.db, user.id, bot.id);
  const latest = (await listConnectionEvents(ctx.db, bot.id))[0];
  // the recovery is recorded once, as a flip from stale
  assert.is(stored?.connection_status, 'connected');
  assert.equal([latest?.from_status, latest?.to_status], ['stale', 'connected']);
});

test('a heartbeat from a different site URL, once the old one is silent past STALE_AFTER, is recorded as an event and flags the bot', async (ctx) => {
  const { user, bot, token } = await newBot(ctx);
  await send(ctx, token, heartbeatBody({ site_url: 'https://one.example' }));
  // (within STALE_AFTER it would be a copy of the site: tests/connect/disconnect-and-copies.test.ts)
  ctx.clock.advance(11 * 60_000);
  await send(ctx, token, heartbeatBody({ site_url: 'https://two.example' }));
  const events = await listConnectionEvents(ctx.db, bot.id);
  const moved = events.find((e) => e.kind === 'site_url_changed');
  const stored = await findOwnedBot(ctx.db, user.id, bot.id);
  // the event keeps both URLs
  assert.equal(moved?.details, { from: 'https://one.example', to: 'https://two.example' });
  // the bot is flagged as seen from two sites
  assert.ok(stored?.site_url_changed_at);
});

test('counts heartbeats per bot per hour', async (ctx) => {
  const { bot, token } = await newBot(ctx);
  for (let i = 0; i < 3; i++) await send(ctx, token, heartbeatBody());
  ctx.clock.advance(3_600_000);
  await send(ctx, token, heartbeatBody());
  const { rows } = await ctx.db.query<{ count: number }>('SELECT count FROM heartbeat_hours WHERE bot_id = $1 ORDER BY hour', [bot.id]);
  // three in the first hour, one in the next
  assert.equal(
    rows.map((r) => r.count),
    [3, 1],
  );
});

test('answers 400 naming the field for each invalid body', async (ctx) => {
  const { token } = await newBot(ctx);
  const cases: Array<[unknown, RegExp]> = [
    [heartbeatBody({ site_url: undefined }), /site_url is required/],
    [heartbeatBody({ site_url: 'javascript:alert(1)' }), /site_url must be an absolute http or https URL/],
    [heartbeatBody({ site_url: 'https://admin:secret@shop.example.com' }), /site_url must not contain a user name or password/],
    [heartbeatBody({ site_url: 'shop.example.com' }), /site_url must be an absolute/],
    [heartbeatBody({ site_url: `https://x.example/${'a'.repeat(2040)}` }), /site_url must be at most 2048 characters/],
    [heartbeatBody({ site_url: 42 }), /site_url must be a string/],
    [heartbeatBody({ plugin_version: undefined }), /plugin_version is required/],
    [heartbeatBody({ plugin_version: 110 }), /plugin_version must be a string/],
    [heartbeatBody({ wp_version: '6.1<script>' }), /wp_version must be a string of 1 to 32 characters/],
    [heartbeatBody({ wp_version: '6'.repeat(33) }), /wp_version must be a string of 1 to 32/],
    [heartbeatBody({ is_active: 'yes' }), /is_active must be true or false/],
    [heartbeatBody({ is_active: undefined }), /is_active is required/],
    [[1, 2, 3], /Body must be a JSON object/],
    ['"just a string"', /Body must be a JSON object/],
  ];
  for (const [body, message] of cases) {
    const response = await send(ctx, token, body);
    // each invalid body is a 400 in the seed's error shape, naming what is wrong
    assert.is(response.statusCode, 400, JSON.stringify(body).slice(0, 80));
    assert.is(response.json().success, false);
    assert.match(response.json().message, message);
  }
});

test('answers 400 for malformed JSON', async (ctx) => {
  const { token } = await newBot(ctx);
  const response = await send(ctx, token, '{"site_url":');
  // malformed JSON is named as such
  assert.is(response.statusCode, 400);
  assert.equal(response.json(), { success: false, message: 'Malformed JSON body' });
});

test('answers 413 for a body over 4 KiB', async (ctx) => {
  const { token } = await newBot(ctx);
  const response = await send(ctx, token, heartbeatBody({ padding: 'x'.repeat(5 * 1024) }));
  // too large, in the seed's error shape
  assert.is(response.statusCode, 413);
  assert.is(response.json().success, false);
});

test('answers 415 for text/plain and for a body without content type', async (ctx) => {
  const { token } = await newBot(ctx);
  const plain = await send(ctx, token, JSON.stringify(heartbeatBody()), { 'content-type': 'text/plain' });
  // text/plain is not JSON
  assert.is(plain.statusCode, 415);
  assert.equal(plain.json(), { success: false, message: 'Content-Type must be application/json' });
  const form = await send(ctx, token, 'site_url=x', { 'content-type': 'application/x-www-form-urlencoded' });
  // neither is a form
  assert.is(form.statusCode, 415);
});

test('answers 401 with the same body for a missing and an unknown token', async (ctx) => {
  const missing = await send(ctx, undefined, heartbeatBody());
  const unknown = await send(ctx, 'bot_' + 'A'.repeat(43), heartbeatBody());
  const garbage = await send(ctx, 'not-a-token', heartbeatBody());
  // all three are 401 and indistinguishable
  assert.is(missing.statusCode, 401);
  assert.is(unknown.statusCode, 401);
  assert.is(garbage.statusCode, 401);
  assert.equal(missing.json(), unknown.json());
  assert.equal(missing.json(), garbage.json());
});

test('answers 403 for a disabled bot and records nothing', async (ctx) => {
  const { user, bot, token } = await newBot(ctx);
  await ctx.db.query('UPDATE bots SET is_active = false WHERE id = $1', [bot.id]);
  const response = await send(ctx, token, heartbeatBody());
  const stored = await findOwnedBot(ctx.db, user.id, bot.id);
  // refused
  assert.is(response.statusCode, 403);
  assert.equal(response.json(), { success: false, message: 'This bot is disabled in AgentDesk' });
  // and nothing written
  assert.is(stored?.wordpress_last_activity, null);
  assert.is(stored?.connection_status, 'never');
});

test('counts every answer in agentdesk_heartbeats_total by result', async (ctx) => {
  const { token } = await newBot(ctx);
  await send(ctx, token, heartbeatBody());
  await send(ctx, undefined, heartbeatBody());
  await send(ctx, token, '{');
  const metrics = (await ctx.app.inject({ url: '/metrics' })).body;
  // accepted, invalid_token and invalid_body each counted
  assert.match(metrics, /agentdesk_heartbeats_total\{result="accepted"\} [1-9]/);
  assert.match(metrics, /agentdesk_heartbeats_total\{result="invalid_token"\} [1-9]/);
  assert.match(metrics, /agentdesk_heartbeats_total\{result="invalid_body"\} [1-9]/);
  // and the latency histogram observed them
  assert.match(metrics, /agentdesk_heartbeat_duration_seconds_count [1-9]/);
});

test.run();

const limited = suite<Ctx>('heartbeat rate limit');
limited.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ env: { HEARTBEAT_RATE_LIMIT: '3' } }));
});
limited.after(async (ctx) => {
  await ctx.app.close();
});

limited('answers 429 with Retry-After past the per-token limit, without touching other tokens', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const first = await createBotFor(ctx.db, user.id);
  const second = await createBotFor(ctx.db, user.id);
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await send(ctx, first.token, heartbeatBody())).statusCode);
  const refused = await send(ctx, first.token, heartbeatBody());
  const other = await send(ctx, second.token, heartbeatBody());
  // three accepted, then refused
  assert.equal(statuses, [200, 200, 200, 429]);
  assert.is(refused.statusCode, 429);
  assert.ok(Number(refused.headers['retry-after']) > 0);
  assert.is(refused.json().success, false);
  // another token has its own budget
  assert.is(other.statusCode, 200);
});

limited.run();

const unavailable = suite<{ app: Ctx['app']; close: () => Promise<void> }>('heartbeat with the database down');
unavailable.before(async (ctx) => {
  // A real pg pool pointed at a port where no database listens: every query fails to connect.
  const db = openPgDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 500 });
  const { app } = await buildTestApp({ db });
  ctx.app = app;
  ctx.close = async () => {
    await app.close();
    await db.close();
  };
});
unavailable.after(async (ctx) => {
  await ctx.close();
});

unavailable('answers 503 with Retry-After, never a 500', async (ctx) => {
  const response = await postHeartbeat(ctx.app, 'bot_' + 'B'.repeat(43));
  // the expected fault is a 503 in the seed's shape
  assert.is(response.statusCode, 503);
  assert.ok(Number(response.headers['retry-after']) > 0);
  assert.is(response.json().success, false);
});

unavailable('readyz says not ready', async (ctx) => {
  const response = await ctx.app.inject({ url: '/readyz' });
  // not ready while the database is unreachable
  assert.is(response.statusCode, 503);
});

unavailable.run();

const history = suite<Ctx>('heartbeat history');
history.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
history.after(async (ctx) => {
  await ctx.app.close();
});

history('pruning keeps the last eight days of hourly counts and drops older ones', async (ctx) => {
  const { bot, token } = await newBot(ctx);
  await send(ctx, token, heartbeatBody());
  ctx.clock.advance(9 * 86_400_000);
  await send(ctx, token, heartbeatBody());
  const pruned = await maintainHistoryPartitions(ctx.db, ctx.clock.now());
  const { rows } = await ctx.db.query<{ hour: Date }>('SELECT hour FROM heartbeat_hours WHERE bot_id = $1', [bot.id]);
  // the nine-day-old hour is gone, the current one stays
  assert.ok(pruned.deletedRows + pruned.dropped.length >= 1);
  assert.is(rows.length, 1);
  assert.ok(rows[0]!.hour.getTime() > ctx.clock.now().getTime() - 3_600_000);
});

history.run();
