import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createWriteBatcher } from '../../src/heartbeats/write-batcher.ts';
import { buildTestApp, createBotFor, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { listConnectionEvents, recordHeartbeats } from '../../src/db/bots.ts';
import { hashSecret } from '../../src/accounts/credentials.ts';
import { randomBytes } from 'node:crypto';

const test = suite('write batcher (group commit)');

function recordingBatcher(maxBatch = 500, maxInFlight = 1) {
  const batches: string[][] = [];
  const batcher = createWriteBatcher<{ key: string; value: number }, number>({
    maxBatch,
    maxInFlight,
    keyOf: (item) => item.key,
    flush: async (items) => {
      batches.push(items.map((item) => `${item.key}:${item.value}`));
      await new Promise((resolve) => setImmediate(resolve));
      return items.map((item) => item.value * 10);
    },
  });
  return { batcher, batches };
}

test('items submitted together share one flush and each gets its own result', async () => {
  const { batcher, batches } = recordingBatcher();
  const results = await Promise.all([1, 2, 3].map((value) => batcher.submit({ key: `k${value}`, value })));
  // one write for three items
  assert.equal(batches, [['k1:1', 'k2:2', 'k3:3']]);
  // results in submission order
  assert.equal(results, [10, 20, 30]);
});

test('two items with the same key never share a flush, and keep their order', async () => {
  const { batcher, batches } = recordingBatcher();
  await Promise.all([
    batcher.submit({ key: 'a', value: 1 }),
    batcher.submit({ key: 'a', value: 2 }),
    batcher.submit({ key: 'b', value: 3 }),
  ]);
  // the second "a" waits for the next flush
  assert.equal(batches, [['a:1', 'b:3'], ['a:2']]);
});

test('a batch never exceeds maxBatch', async () => {
  const { batcher, batches } = recordingBatcher(2);
  await Promise.all([1, 2, 3, 4, 5].map((value) => batcher.submit({ key: `k${value}`, value })));
  // split into batches of at most two
  assert.equal(batches.map((batch) => batch.length), [2, 2, 1]);
});

test('with several writes in flight, a key is never in two of them at once', async () => {
  let inFlight = new Set<string>();
  let overlap = false;
  let concurrent = 0;
  let maxConcurrent = 0;
  const batcher = createWriteBatcher<string, string>({
    maxBatch: 2,
    maxInFlight: 3,
    keyOf: (item) => item.split(':')[0]!,
    flush: async (items) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      const keys = items.map((item) => item.split(':')[0]!);
      if (keys.some((key) => inFlight.has(key))) overlap = true;
      keys.forEach((key) => inFlight.add(key));
      await new Promise((resolve) => setTimeout(resolve, 5));
      keys.forEach((key) => inFlight.delete(key));
      concurrent--;
      return items;
    },
  });
  const items = ['a:1', 'b:1', 'a:2', 'c:1', 'd:1', 'a:3', 'e:1', 'b:2'];
  const order: string[] = [];
  await Promise.all(items.map((item) => batcher.submit(item).then((done) => order.push(done))));
  // writes did overlap, but never for the same key
  assert.ok(maxConcurrent > 1);
  assert.not.ok(overlap);
  // each key's items finished in submission order
  assert.equal(order.filter((item) => item.startsWith('a:')), ['a:1', 'a:2', 'a:3']);
  inFlight = new Set();
});

test('a failed flush rejects the items in it and the next batch still runs', async () => {
  let calls = 0;
  const batcher = createWriteBatcher<string, string>({
    keyOf: (item) => item,
    flush: async (items) => {
      calls++;
      if (calls === 1) throw new Error('database unavailable');
      return items;
    },
  });
  const first = batcher.submit('x').catch((error: Error) => error.message);
  // the first batch fails for its caller
  assert.is(await first, 'database unavailable');
  // a later item is written normally
  assert.is(await batcher.submit('y'), 'y');
});

test('an item the writer refuses fails alone: the batch is split until its neighbours are written', async () => {
  const flushed: string[][] = [];
  const batcher = createWriteBatcher<string, string>({
    keyOf: (item) => item,
    flush: async (items) => {
      flushed.push(items);
      if (items.includes('poison')) throw new Error('value refused');
      return items.map((item) => item.toUpperCase());
    },
  });
  const items = ['a', 'b', 'c', 'poison', 'd', 'e', 'f', 'g'];
  const results = await Promise.all(items.map((item) => batcher.submit(item).catch((error: Error) => `failed: ${error.message}`)));
  // every neighbour is written; only the refused item fails, with the writer's error
  assert.equal(results, ['A', 'B', 'C', 'failed: value refused', 'D', 'E', 'F', 'G']);
  // the bad item was isolated by halving, not by writing each item alone
  assert.ok(flushed.length <= 1 + 2 * Math.ceil(Math.log2(items.length)), `${flushed.length} flushes`);
});

test('an outage is not split: every item of the batch fails with one write', async () => {
  let calls = 0;
  const batcher = createWriteBatcher<string, string>({
    keyOf: (item) => item,
    isItemFault: (error) => !(error as Error).message.includes('unavailable'),
    flush: async () => {
      calls++;
      throw new Error('database unavailable');
    },
  });
  const results = await Promise.all(['a', 'b', 'c'].map((item) => batcher.submit(item).catch((error: Error) => error.message)));
  // all three fail together
  assert.equal(results, ['database unavailable', 'database unavailable', 'database unavailable']);
  // after a single attempt
  assert.is(calls, 1);
});

test('drain waits for everything submitted', async () => {
  const { batcher } = recordingBatcher();
  let done = 0;
  for (let i = 0; i < 5; i++) void batcher.submit({ key: 'same', value: i }).then(() => done++);
  await batcher.drain();
  // all five written, one per flush because they share a key
  assert.is(done, 5);
});

test.run();

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const concurrent = suite<Ctx>('concurrent heartbeats');
concurrent.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ env: { HEARTBEAT_RATE_LIMIT: '1000' } }));
});
concurrent.after(async (ctx) => {
  await ctx.app.close();
});

concurrent('one bot alternating active and inactive at once: every transition recorded once, in order', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const { bot, token } = await createBotFor(ctx.db, user.id);
  const flags = [true, false, true, false, true, false];
  const responses = await Promise.all(
    flags.map((isActive) => postHeartbeat(ctx.app, token, heartbeatBody({ is_active: isActive }))),
  );
  const events = (await listConnectionEvents(ctx.db, bot.id)).filter((e) => e.kind === 'status').reverse();
  // all accepted
  assert.equal(responses.map((r) => r.statusCode), flags.map(() => 200));
  // six transitions, exactly in submission order
  assert.equal(
    events.map((e) => e.to_status),
    ['connected', 'deactivated', 'connected', 'deactivated', 'connected', 'deactivated'],
  );
});

concurrent('forty bots reporting at once are all committed before their 200', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const bots = await Promise.all(Array.from({ length: 40 }, () => createBotFor(ctx.db, user.id)));
  const responses = await Promise.all(
    bots.map(({ token }) => postHeartbeat(ctx.app, token)),
  );
  const { rows } = await ctx.db.query<{ n: number }>(
    "SELECT count(*) AS n FROM bots WHERE user_id = $1 AND connection_status = 'connected'",
    [user.id],
  );
  // every one acknowledged and every one stored
  assert.ok(responses.every((r) => r.statusCode === 200));
  assert.is(rows[0]?.n, 40);
});

concurrent('a value the database refuses fails only its own heartbeat in a shared batch', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const bots = await Promise.all(Array.from({ length: 30 }, () => createBotFor(ctx.db, user.id)));
  // Past validation on purpose: the write path itself must keep one bad item from failing the rest.
  const write = (tokenHash: string, siteUrl: string) => ({
    tokenHash, siteUrl, pluginVersion: '1.1.0', wpVersion: '6.1.1', status: 'connected' as const, reason: 'heartbeat', at: new Date(),
  });
  const batcher = createWriteBatcher<ReturnType<typeof write>, string>({
    keyOf: (item) => item.tokenHash,
    flush: async (items) => {
      await recordHeartbeats(ctx.db, items);
      return items.map(() => 'committed');
    },
  });
  const good = bots.map(({ token }) => batcher.submit(write(hashSecret(token), 'https://good.example.com')));
  const bad = batcher.submit(write(hashSecret(bots[0]!.token + 'x'), 'https://bad.example.com/\u0000')).catch((error: { code?: string }) => error.code);
  const outcomes = await Promise.all(good);
  const { rows } = await ctx.db.query<{ n: number }>(
    "SELECT count(*) AS n FROM bots WHERE user_id = $1 AND connection_status = 'connected'",
    [user.id],
  );
  // the neighbours are all committed
  assert.ok(outcomes.every((outcome) => outcome === 'committed'));
  assert.is(rows[0]?.n, 30);
  // the bad one fails alone with PostgreSQL's own refusal (SQLSTATE class 22, data exception)
  assert.match(String(await bad), /^22/);
});

concurrent('heartbeats with control characters get 400 while a hundred neighbours sent with them get 200', async (ctx) => {
  const { user } = await createOwner(ctx.db);
  const bots = await Promise.all(Array.from({ length: 100 }, () => createBotFor(ctx.db, user.id)));
  const madeUp = () => `bot_${randomBytes(32).toString('base64url')}`;
  const hostile = ['\u0000', '\u0001', '\u001f', '\u007f', '\t', '\n', '%00\u0000', '\r\n'].map((bad) =>
    postHeartbeat(ctx.app, madeUp(), heartbeatBody({ site_url: `https://evil.example.com/${bad}` })),
  );
  const valid = bots.map(({ token }) => postHeartbeat(ctx.app, token));
  const [bad, good] = await Promise.all([Promise.all(hostile), Promise.all(valid)]);
  // every valid heartbeat is accepted
  assert.equal(good.map((r) => r.statusCode), good.map(() => 200));
  // every hostile one is a 400 that names the field
  assert.equal(bad.map((r) => r.statusCode), bad.map(() => 400));
  assert.is(bad[0]!.json().message, 'site_url must not contain control characters');
});

concurrent.run();
