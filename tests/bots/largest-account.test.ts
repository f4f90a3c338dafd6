// One owner's largest allowed account (the default limits: bots × "all bots" weekly windows, every
// window running now) must not stall the event loop that every other owner's heartbeats share.
// The maintenance question used to be answered per bot × window with luxon on the event loop:
// about 10 s for 300 × 300. The figure to watch is printed by `npm run bench:owner-lag`; this test
// holds the line far below the old stall so it does not depend on a quiet machine.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_QUOTAS } from '../../src/domain/quotas.ts';
import { buildTestApp, createBotFor, createOwner, postHeartbeat } from '../helpers/app.ts';
import { fillLargestAccount } from '../helpers/large-account.ts';

type App = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<{ h: App }>('the largest allowed account');

test.before(async (context) => {
  context.h = await buildTestApp();
});
test.after(async ({ h }) => {
  await h.app.close();
});

/** The longest the event loop was blocked while `work` ran, in ms. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  await work();
  histogram.disable();
  return histogram.max / 1e6;
}

test('listing it, ending its maintenance and another owner\'s heartbeat never wait behind each other', async ({ h }) => {
  const { apiKey } = await fillLargestAccount(h.db, h.clock.now(), DEFAULT_QUOTAS);
  const other = await createOwner(h.db);
  const { token } = await createBotFor(h.db, other.user.id);
  const auth = { authorization: `Bearer ${apiKey}` };

  let listed: { statusCode: number; json(): { bots: Array<{ maintenance_until: string | null }> } } | undefined;
  const stall = await longestStall(async () => {
    [listed] = await Promise.all([h.app.inject({ method: 'GET', url: `/api/bots?limit=${DEFAULT_QUOTAS.bots}`, headers: auth }), postHeartbeat(h.app, token)]);
  });
  // every bot is listed on one page of the largest size, each in maintenance (the answer is still right)
  assert.is(listed!.statusCode, 200);
  assert.is(listed!.json().bots.length, DEFAULT_QUOTAS.bots);
  assert.ok(listed!.json().bots.every((bot) => bot.maintenance_until !== null));
  // the loop never stalled anywhere near the seconds it used to (bench:owner-lag prints the figure)
  assert.ok(stall < 500, `longest event-loop stall ${stall.toFixed(1)} ms`);

  const endStall = await longestStall(() =>
    h.app.inject({ method: 'POST', url: '/api/maintenance/end', headers: { ...auth, 'content-type': 'application/json' }, payload: '{}' }),
  );
  assert.ok(endStall < 500, `longest event-loop stall ending maintenance ${endStall.toFixed(1)} ms`);
  // after "end maintenance now" for all, no bot is in maintenance
  const after = await h.app.inject({ method: 'GET', url: `/api/bots?limit=${DEFAULT_QUOTAS.bots}`, headers: auth });
  assert.ok(after.json().bots.every((bot: { maintenance_until: string | null }) => bot.maintenance_until === null));
});

test.run();
