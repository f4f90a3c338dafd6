// GET /api/bots one page at a time: limit, the opaque cursor, next_cursor, and the filters
// (docs/contract.md "Paged lists").
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createClock, createOwner } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('the paged bot list');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ clock: createClock(new Date('2026-12-04T12:00:00Z')), dashboard: { latestPluginVersion: '1.2.0' } }));
});
test.after(async (ctx) => {
  await ctx.app.close();
});

type Listed = { id: string; name: string; attention: Array<{ kind: string }> };
type Page = { bots: Listed[]; next_cursor: string | null };

const get = (ctx: Ctx, apiKey: string, url: string) => ctx.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${apiKey}` } });

/** Follows next_cursor from the first page to the last, returning every page. */
async function walk(ctx: Ctx, apiKey: string, query: string, from: string | null = null): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor = from;
  do {
    const response = await get(ctx, apiKey, `/api/bots?${query}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.is(response.statusCode, 200, response.body);
    const page = response.json() as Page;
    pages.push(page);
    cursor = page.next_cursor;
  } while (cursor && pages.length < 100);
  return pages;
}

/**
 * `count` bots for the owner in one statement, named "site 1".. in creation order. Their creation
 * times differ by microseconds only, so several share one millisecond, as bulk-created bots do.
 */
async function insertBots(ctx: Ctx, ownerId: string, count: number, extra: { environmentEvery?: number } = {}) {
  await ctx.db.query(
    `WITH inserted AS (
       INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key, created_at, connection_status, wordpress_connected,
                         wordpress_site_url, wordpress_environment, wordpress_environment_since)
       SELECT $1::uuid, 'site ' || i, md5($1::text || i) || md5(i::text), 'bot_x', 'pub_' || md5($1::text || i), $2::timestamptz + i * interval '3 microseconds',
              'connected', true, 'https://site' || i || '.example',
              CASE WHEN $4 > 0 AND i % $4 = 0 THEN 'staging' ELSE 'production' END, $2::timestamptz
       FROM generate_series(1, $3) i
       RETURNING id
     )
     INSERT INTO bot_liveness (bot_id, last_activity, connected) SELECT id, $2::timestamptz, true FROM inserted`,
    [ownerId, ctx.clock.now(), count, extra.environmentEvery ?? 0],
  );
}

test('following next_cursor returns every bot exactly once, oldest first, even when many share a millisecond', async (ctx) => {
  const owner = await createOwner(ctx.db);
  await insertBots(ctx, owner.user.id, 1000);
  const pages = await walk(ctx, owner.apiKey, 'limit=333');
  // four pages of 333, 333, 333 and 1, the last one without a next cursor
  assert.equal(pages.map((page) => page.bots.length), [333, 333, 333, 1]);
  assert.is(pages[3]!.next_cursor, null);
  const names = pages.flatMap((page) => page.bots.map((bot) => bot.name));
  assert.equal(names, Array.from({ length: 1000 }, (_, i) => `site ${i + 1}`));
});

test('without limit a page holds 100 bots; limit takes 1 to 1000 and nothing else', async (ctx) => {
  const owner = await createOwner(ctx.db);
  await insertBots(ctx, owner.user.id, 101);
  const first = (await get(ctx, owner.apiKey, '/api/bots')).json() as Page;
  assert.is(first.bots.length, 100);
  assert.type(first.next_cursor, 'string');
  for (const bad of ['0', '1001', 'ten', '2.5']) {
    const response = await get(ctx, owner.apiKey, `/api/bots?limit=${bad}`);
    // a 400 that names the parameter
    assert.is(response.statusCode, 400, bad);
    assert.match(response.json().message, /limit/);
  }
});

test('a bot added or deleted during a walk neither repeats nor skips another bot', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const made = [];
  for (let i = 0; i < 5; i++) made.push((await createBotFor(ctx.db, owner.user.id, { name: `bot ${i}` })).bot);
  const first = (await get(ctx, owner.apiKey, '/api/bots?limit=2')).json() as Page;
  assert.equal(first.bots.map((bot) => bot.name), ['bot 0', 'bot 1']);
  // the page's last bot is deleted, and a new one is added, before the next page is asked for
  await ctx.db.query('DELETE FROM bots WHERE id = $1', [made[1]!.id]);
  await createBotFor(ctx.db, owner.user.id, { name: 'added later' });
  const rest = await walk(ctx, owner.apiKey, 'limit=2', first.next_cursor);
  assert.equal(rest.flatMap((page) => page.bots.map((bot) => bot.name)), ['bot 2', 'bot 3', 'bot 4', 'added later']);
});

test('status, q and attention filter every page, and a page holds limit matches however far apart they are', async (ctx) => {
  const owner = await createOwner(ctx.db);
  // 1200 connected sites, every 300th on staging: 4 have an attention item, spread over the list
  await insertBots(ctx, owner.user.id, 1200, { environmentEvery: 300 });
  await ctx.db.query("UPDATE bots SET connection_status = 'stale' WHERE user_id = $1 AND name IN ('site 7', 'site 700')", [owner.user.id]);
  const staging = await walk(ctx, owner.apiKey, 'limit=3&attention=not_production');
  assert.equal(staging.map((page) => page.bots.map((bot) => bot.name)), [['site 300', 'site 600', 'site 900'], ['site 1200']]);
  assert.ok(staging.every((page) => page.bots.every((bot) => bot.attention.some((item) => item.kind === 'not_production'))));
  const stale = await walk(ctx, owner.apiKey, 'limit=1&status=stale');
  assert.equal(stale.map((page) => page.bots.map((bot) => bot.name)), [['site 7'], ['site 700']]);
  const searched = await walk(ctx, owner.apiKey, 'limit=5&q=SITE115');
  // the name or the address, case-insensitively: site115 and site1150..site1159
  assert.equal(searched.flatMap((page) => page.bots.map((bot) => bot.name)), ['site 115', ...Array.from({ length: 10 }, (_, i) => `site ${1150 + i}`)]);
  const unknownStatus = await get(ctx, owner.apiKey, '/api/bots?status=sleepy');
  assert.is(unknownStatus.statusCode, 400);
  assert.match(unknownStatus.json().message, /status/);
});

test('a cursor the API did not make is a 400 that says what to do', async (ctx) => {
  const owner = await createOwner(ctx.db);
  for (const cursor of ['garbage!', 'bm90LWEtY3Vyc29y', 'x'.repeat(300)]) {
    const response = await get(ctx, owner.apiKey, `/api/bots?cursor=${cursor}`);
    assert.is(response.statusCode, 400, cursor);
    assert.match(response.json().message, /cursor/);
  }
});

test("another owner's cursor shows only your own bots", async (ctx) => {
  const mine = await createOwner(ctx.db);
  const theirs = await createOwner(ctx.db);
  await insertBots(ctx, theirs.user.id, 3);
  await createBotFor(ctx.db, mine.user.id, { name: 'my late bot' });
  const theirFirst = (await get(ctx, theirs.apiKey, '/api/bots?limit=1')).json() as Page;
  // a cursor only says where in the order to start: my list from there is my own
  const mineAfter = (await get(ctx, mine.apiKey, `/api/bots?cursor=${theirFirst.next_cursor}`)).json() as Page;
  assert.equal(mineAfter.bots.map((bot) => bot.name), ['my late bot']);
});

test.run();
