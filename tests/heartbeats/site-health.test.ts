// Heartbeat 1.2: the optional site-health facts (PHP version, cron, environment, multisite).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { findOwnedBot } from '../../src/db/bots.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('heartbeat 1.2 site-health fields');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

async function newBot(ctx: Ctx) {
  const { user } = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, user.id);
  return { user, bot, token };
}

const v12 = (overrides: Record<string, unknown> = {}) =>
  heartbeatBody({
    plugin_version: '1.2.0',
    php_version: '8.2.36',
    cron: { mode: 'system', overdue_events: 2, oldest_overdue_seconds: 900 },
    environment: 'staging',
    multisite: true,
    ...overrides,
  });

test('a 1.1.0 payload (the four fields only) is accepted and stores no site-health facts', async (ctx) => {
  const { user, bot, token } = await newBot(ctx);
  const body = { site_url: 'https://shop.example.com', plugin_version: '1.1.0', wp_version: '6.1.1', is_active: true };
  const response = await postHeartbeat(ctx.app, token, body);
  const stored = await findOwnedBot(ctx.db, user.id, bot.id);
  // the old plugin keeps working, with the seed's answer
  assert.is(response.statusCode, 200);
  assert.equal(response.json(), { success: true, message: 'WordPress connection updated successfully' });
  // and the new facts are "not reported"
  assert.is(stored?.connection_status, 'connected');
  assert.is(stored?.wordpress_php_version, null);
  assert.is(stored?.wordpress_cron_mode, null);
  assert.is(stored?.wordpress_environment, null);
  assert.is(stored?.wordpress_multisite, null);
  assert.is(stored?.wordpress_php_version_since, null);
  // the versions it did report are dated
  assert.equal(stored?.wordpress_plugin_version_since, ctx.clock.now());
});

test('a 1.2 payload stores every fact on the bot', async (ctx) => {
  const { user, bot, token } = await newBot(ctx);
  const response = await postHeartbeat(ctx.app, token, v12());
  const stored = await findOwnedBot(ctx.db, user.id, bot.id);
  // accepted
  assert.is(response.statusCode, 200);
  // each fact as sent
  assert.is(stored?.wordpress_php_version, '8.2.36');
  assert.is(stored?.wordpress_cron_mode, 'system');
  assert.is(stored?.wordpress_cron_overdue_events, 2);
  assert.is(stored?.wordpress_cron_oldest_overdue_seconds, 900);
  assert.is(stored?.wordpress_environment, 'staging');
  assert.is(stored?.wordpress_multisite, true);
});

test('null and absent fields mean "not reported", and cron counts default to 0', async (ctx) => {
  const { user, bot, token } = await newBot(ctx);
  const response = await postHeartbeat(ctx.app, token, v12({ php_version: null, environment: undefined, multisite: null, cron: { mode: 'wp-cron' } }));
  const stored = await findOwnedBot(ctx.db, user.id, bot.id);
  // accepted
  assert.is(response.statusCode, 200);
  assert.is(stored?.wordpress_php_version, null);
  assert.is(stored?.wordpress_environment, null);
  assert.is(stored?.wordpress_multisite, null);
  assert.is(stored?.wordpress_cron_mode, 'wp-cron');
  assert.is(stored?.wordpress_cron_overdue_events, 0);
  assert.is(stored?.wordpress_cron_oldest_overdue_seconds, 0);
});

test('"since" keeps the time a value was first reported, and moves when it changes', async (ctx) => {
  const { user, bot, token } = await newBot(ctx);
  const first = ctx.clock.now();
  await postHeartbeat(ctx.app, token, v12());
  ctx.clock.advance(300_000);
  await postHeartbeat(ctx.app, token, v12());
  let stored = await findOwnedBot(ctx.db, user.id, bot.id);
  // unchanged values keep their first time
  assert.equal(stored?.wordpress_cron_mode_since, first);
  assert.equal(stored?.wordpress_environment_since, first);
  assert.equal(stored?.wordpress_php_version_since, first);
  ctx.clock.advance(300_000);
  await postHeartbeat(ctx.app, token, v12({ cron: { mode: 'disabled', overdue_events: 5, oldest_overdue_seconds: 7200 }, php_version: '8.3.1' }));
  stored = await findOwnedBot(ctx.db, user.id, bot.id);
  // a changed value is dated at the heartbeat that changed it
  assert.equal(stored?.wordpress_cron_mode_since, ctx.clock.now());
  assert.equal(stored?.wordpress_php_version_since, ctx.clock.now());
  // an unchanged one keeps its time
  assert.equal(stored?.wordpress_environment_since, first);
  // the counts are the latest heartbeat's
  assert.is(stored?.wordpress_cron_oldest_overdue_seconds, 7200);
});

test('answers 400 naming the field for a bad type or an overlong value in each new field', async (ctx) => {
  const { user, bot, token } = await newBot(ctx);
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ php_version: 82 }, /^php_version must be a string/],
    [{ php_version: '8'.repeat(33) }, /^php_version must be a string of 1 to 32/],
    [{ php_version: '8.2 <b>' }, /^php_version must be/],
    [{ cron: 'system' }, /^cron must be an object/],
    [{ cron: ['system'] }, /^cron must be an object/],
    [{ cron: { overdue_events: 1 } }, /^cron\.mode is required/],
    [{ cron: { mode: 'sometimes' } }, /^cron\.mode must be one of wp-cron, alternate, system, disabled/],
    [{ cron: { mode: 'x'.repeat(200) } }, /^cron\.mode must be one of/],
    [{ cron: { mode: 'system', overdue_events: '3' } }, /^cron\.overdue_events must be an integer/],
    [{ cron: { mode: 'system', overdue_events: 1.5 } }, /^cron\.overdue_events must be an integer/],
    [{ cron: { mode: 'system', overdue_events: -1 } }, /^cron\.overdue_events must be an integer from 0/],
    [{ cron: { mode: 'system', oldest_overdue_seconds: 2 ** 31 } }, /^cron\.oldest_overdue_seconds must be an integer from 0 to 2147483647/],
    [{ environment: 7 }, /^environment must be a string/],
    [{ environment: 'p'.repeat(33) }, /^environment must be a string of 1 to 32/],
    [{ environment: 'Production\n' }, /^environment must be/],
    [{ multisite: 'yes' }, /^multisite must be true or false/],
    [{ multisite: 1 }, /^multisite must be true or false/],
  ];
  for (const [fields, message] of cases) {
    const response = await postHeartbeat(ctx.app, token, v12(fields));
    // a 400 in the seed's shape whose message names the field
    assert.is(response.statusCode, 400, JSON.stringify(fields).slice(0, 80));
    assert.is(response.json().success, false);
    assert.match(response.json().message, message);
  }
  const stored = await findOwnedBot(ctx.db, user.id, bot.id);
  // none of them was recorded
  assert.is(stored?.wordpress_last_activity, null);
});

test('unknown fields, inside cron too, are ignored', async (ctx) => {
  const { token } = await newBot(ctx);
  const response = await postHeartbeat(ctx.app, token, v12({ cron: { mode: 'alternate', next: 'soon' }, wp_debug: true, theme: { name: 'x' } }));
  // still accepted
  assert.is(response.statusCode, 200);
});

test('a batch mixing 1.1 and 1.2 heartbeats stores each bot its own facts', async (ctx) => {
  const a = await newBot(ctx);
  const b = await newBot(ctx);
  const answers = await Promise.all([postHeartbeat(ctx.app, a.token, v12()), postHeartbeat(ctx.app, b.token, heartbeatBody())]);
  // both accepted (sent together, they share one write)
  assert.equal(answers.map((r) => r.statusCode), [200, 200]);
  const [storedA, storedB] = [await findOwnedBot(ctx.db, a.user.id, a.bot.id), await findOwnedBot(ctx.db, b.user.id, b.bot.id)];
  assert.is(storedA?.wordpress_environment, 'staging');
  assert.is(storedB?.wordpress_environment, null);
});

test('GET /api/bots/:id shows the facts the site last reported', async (ctx) => {
  const { user, apiKey } = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, user.id);
  await postHeartbeat(ctx.app, token, v12());
  const response = await ctx.app.inject({ method: 'GET', url: `/api/bots/${bot.id}`, headers: { authorization: `Bearer ${apiKey}` } });
  const json = response.json();
  // each fact in the bot's JSON
  assert.is(json.wordpress_php_version, '8.2.36');
  assert.equal(json.wordpress_cron, { mode: 'system', overdue_events: 2, oldest_overdue_seconds: 900 });
  assert.is(json.wordpress_environment, 'staging');
  assert.is(json.wordpress_multisite, true);
});

test.run();
