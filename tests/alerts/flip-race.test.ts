// A heartbeat and the sweep's flip racing for one bot (src/db/episodes.ts flipStale): a steady-state
// heartbeat writes only the bot's liveness row, so the flip must re-read that row once the bot's
// lock is free, not the last activity it saw before waiting.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findOwnedBot, recordHeartbeats } from '../../src/db/bots.ts';
import { flipStale } from '../../src/db/episodes.ts';
import { STALE_AFTER_MS, type AlertHarness, type SmtpSink, useAlertSuite } from './alert-harness.ts';

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('stale sweep: a flip racing a heartbeat');

useAlertSuite(test);

/** Resolves once a backend of this database waits for a row lock (the flip, blocked by the heartbeat). */
async function someoneWaitsForALock(h: AlertHarness): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { rows } = await h.db.query<{ waiting: number }>(
      "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if (rows[0]!.waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the flip never waited for the heartbeat’s lock');
}

test('a heartbeat that commits while the flip waits for the bot keeps the bot connected', async ({ h }) => {
  const owner = await h.owner();
  const { bot } = await h.connectedBot(owner.id, 'Busy shop');
  const seen = (await findOwnedBot(h.db, owner.id, bot.id))!.wordpress_last_activity!;
  const { rows } = await h.db.query<{ token_hash: string }>('SELECT token_hash FROM bots WHERE id = $1', [bot.id]);
  h.clock.advance(STALE_AFTER_MS + 60_000);
  let commit!: () => void;
  const committing = new Promise<void>((resolve) => (commit = resolve));
  let written!: () => void;
  const heartbeatWritten = new Promise<void>((resolve) => (written = resolve));
  // the heartbeat has locked the bot and moved its last activity, and not committed yet
  const heartbeat = h.db.transaction(async (tx) => {
    const write = { tokenHash: rows[0]!.token_hash, siteUrl: 'https://busy-shop.example.com', pluginVersion: '1.2.0', wpVersion: '6.5' };
    await recordHeartbeats(tx, [{ ...write, status: 'connected', reason: 'heartbeat', at: h.clock.now() }]);
    written();
    await committing;
  });
  await heartbeatWritten;
  // the sweep read the old last activity and flips the bot for it
  const flip = h.db.transaction((tx) => flipStale(tx, [{ id: bot.id, lastActivity: seen, staleAt: new Date(seen.getTime() + STALE_AFTER_MS) }], 86_400_000));
  await someoneWaitsForALock(h);
  commit();
  await heartbeat;
  // the flip found the newer last activity once the heartbeat committed: nothing flipped
  assert.equal(await flip, []);
  const after = await findOwnedBot(h.db, owner.id, bot.id);
  assert.is(after?.connection_status, 'connected');
  assert.equal(after?.wordpress_last_activity, h.clock.now());
});

test.run();
