// "Checking" on the bot page is the sweep's own decision, as stored (a nudge sent for this silence
// and not judged yet), never a deadline the page works out for itself: after our own downtime the
// sweep waits a stale_after before probing anyone, and so does the page.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { markIngestAlive } from '../../src/alerts/ingest-liveness.ts';
import { createAlertHarness, resetAlertData, STALE_AFTER_MS, type AlertHarness } from '../alerts/alert-harness.ts';
import { createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const test = suite<{ h: AlertHarness }>('the bot page\'s "checking"');

test.before(async (ctx) => {
  ctx.h = await createAlertHarness({ env: { PROBE: 'on', PROBE_ALLOW_PRIVATE: 'true' } });
  await resetAlertData(ctx.h.db);
});
test.after(async ({ h }) => {
  await h.close();
});

test('after our own outage the page says "checking" only once the sweep has nudged the site, and not after it reports', async ({ h }) => {
  const owner = await createOwner(h.db);
  const browser = await loggedIn(h.app, owner.user.email, owner.password);
  await markIngestAlive(h.db, h.clock.now());
  const { bot, token } = await h.connectedBot(owner.user.id, 'Quiet shop');
  const checking = async () => (await browser.get(`/bots/${bot.id}/status`, { 'hx-request': 'true' })).body.includes('id="bot-checking"');

  // we are down for two hours, then come back: every site is two hours silent through no fault of its own
  h.clock.advance(2 * HOUR);
  await markIngestAlive(h.db, h.clock.now());
  await h.sweepAndDeliver();
  // the sweep probes nobody within stale_after of our return, and the page does not claim it does
  assert.is(await checking(), false);

  // a stale_after later the site is still silent: the sweep nudges it and waits for its heartbeat
  for (let minute = 0; minute <= STALE_AFTER_MS / MINUTE; minute++) {
    // we stay up meanwhile (the liveness stamp is written every minute, as the jobs do)
    h.clock.advance(MINUTE);
    await markIngestAlive(h.db, h.clock.now());
  }
  await h.sweepAndDeliver();
  assert.is(await checking(), true);
  assert.match((await browser.get(`/bots/${bot.id}/status`, { 'hx-request': 'true' })).body, /✅ Connected/);

  // the site reports: the page stops saying it is being checked at once, before any sweep
  await h.heartbeat(token);
  assert.is(await checking(), false);
});

test.run();
