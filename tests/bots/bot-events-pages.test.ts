// GET /api/bots/:id/events and GET /api/channels one page at a time (docs/contract.md "Paged lists").
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner } from '../helpers/app.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('paged events and channels');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const get = (ctx: Ctx, apiKey: string, url: string) => ctx.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${apiKey}` } });

test("a bot's events come newest first, a page at a time, none repeated or skipped when they share a millisecond", async (ctx) => {
  const owner = await createOwner(ctx.db);
  const { bot } = await createBotFor(ctx.db, owner.user.id);
  // seven events, microseconds apart
  await ctx.db.query(
    `INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason)
     SELECT $1, '2026-12-01T10:00:00Z'::timestamptz + i * interval '7 microseconds', 'status', 'connected', 'stale', 'event ' || i FROM generate_series(1, 7) i`,
    [bot.id],
  );
  const reasons: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response = await get(ctx, owner.apiKey, `/api/bots/${bot.id}/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    assert.is(response.statusCode, 200, response.body);
    const page = response.json() as { events: Array<{ reason: string; occurred_at: string }>; next_cursor: string | null };
    reasons.push(...page.events.map((event) => event.reason));
    cursor = page.next_cursor;
    pages++;
  } while (cursor && pages < 10);
  assert.is(pages, 3);
  assert.equal(reasons, ['event 7', 'event 6', 'event 5', 'event 4', 'event 3', 'event 2', 'event 1']);
  // a cursor of the bot list (a uuid position) is not one of this list, and another owner's bot is a 404
  await createBotFor(ctx.db, owner.user.id);
  const listCursor = (await get(ctx, owner.apiKey, '/api/bots?limit=1')).json().next_cursor as string;
  const wrongList = await get(ctx, owner.apiKey, `/api/bots/${bot.id}/events?cursor=${listCursor}`);
  assert.is(wrongList.statusCode, 400);
  assert.match(wrongList.json().message, /cursor/);
  const stranger = await createOwner(ctx.db);
  assert.is((await get(ctx, stranger.apiKey, `/api/bots/${bot.id}/events`)).statusCode, 404);
});

test('channels come a page at a time, the account email first', async (ctx) => {
  const owner = await createOwner(ctx.db);
  for (const name of ['One', 'Two']) {
    ctx.clock.advance(1000);
    const made = await ctx.app.inject({
      method: 'POST',
      url: '/api/channels',
      headers: { authorization: `Bearer ${owner.apiKey}`, 'content-type': 'application/json' },
      payload: { kind: 'email', name, target: `${name.toLowerCase()}@contacts.example` },
    });
    assert.is(made.statusCode, 201, made.body);
  }
  const first = (await get(ctx, owner.apiKey, '/api/channels?limit=2')).json();
  assert.is(first.channels.length, 2);
  assert.is(first.channels[0].is_account, true);
  const second = (await get(ctx, owner.apiKey, `/api/channels?limit=2&cursor=${first.next_cursor}`)).json();
  assert.equal(second.channels.map((c: { name: string }) => c.name), ['Two']);
  assert.is(second.next_cursor, null);
  assert.is((await get(ctx, owner.apiKey, '/api/channels?limit=0')).statusCode, 400);
});

test.run();
