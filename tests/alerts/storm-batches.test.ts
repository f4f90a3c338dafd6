// "Storms never block ingest" (docs/alerts.md "The sweep"): the sweep flips in short transactions of SWEEP_BATCH bots
// (3 here), under the sweep lease held across them. These tests stop a sweep
// between two batches (its onBatch hook) to look at what others see there: a crash, a second
// instance, a heartbeat.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSweep, sweepSettings, type SweepDeps } from '../../src/alerts/sweep.ts';
import { findOwnedBot } from '../../src/db/bots.ts';
import { acquireSweepLease, releaseSweepLease } from '../../src/db/sweep-lease.ts';
import { STALE_AFTER_MS, secondConnection, type AlertHarness, type SmtpSink, useAlertSuite } from './alert-harness.ts';

const MINUTE = 60_000;
const OPERATOR = 'ops@agentdesk.example.test';

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('storms flipped in batches');

useAlertSuite(test, { env: { OPERATOR_EMAIL: OPERATOR, SWEEP_BATCH: '3', STORM_MIN: '5' } });

/** The harness's sweep settings with a hook between batches (and, optionally, another database). */
const sweepWith = (h: AlertHarness, extra: Partial<SweepDeps>) => createSweep({ db: h.db, metrics: h.metrics, ...sweepSettings(h.config), ...extra });

/**
 * 4 owners with 4 bots each, connected one second apart (so batches, in last-activity order, follow
 * creation order); bot 0 of each keeps reporting, bots 1–3 fall silent: 12 of 16, a storm in 4 batches.
 */
async function stormFleet(h: AlertHarness) {
  const owners = [];
  for (let i = 0; i < 4; i++) owners.push(await h.owner());
  const silent: Array<{ id: string; token: string; ownerId: string }> = [];
  const reporting: string[] = [];
  for (let b = 0; b < 4; b++) {
    for (const owner of owners) {
      const { bot, token } = await h.connectedBot(owner.id, `Owner ${owners.indexOf(owner)} bot ${b}`);
      if (b === 0) reporting.push(token);
      else silent.push({ id: bot.id, token, ownerId: owner.id });
      h.clock.advance(1000);
    }
  }
  h.clock.advance(STALE_AFTER_MS - 10_000);
  for (const token of reporting) await h.heartbeat(token);
  h.clock.advance(MINUTE);
  return { silent, reporting };
}

async function counts(h: AlertHarness) {
  const { rows } = await h.db.query<{ flips: number; episodes: number; incidents: number; notified: number; notifications: number; pending: number }>(
    `SELECT (SELECT count(*) FROM connection_events WHERE reason = 'no_heartbeat')::int AS flips,
            (SELECT count(*) FROM alert_episodes)::int AS episodes,
            (SELECT count(*) FROM alert_incidents)::int AS incidents,
            (SELECT count(DISTINCT bot_id) FROM alert_notifications WHERE kind = 'stale')::int AS notified,
            (SELECT count(*) FROM alert_notifications WHERE kind = 'stale')::int AS notifications,
            (SELECT count(*) FROM alert_outbox WHERE kind = 'stale' AND status <> 'held')::int AS pending`,
  );
  return rows[0]!;
}

test('a storm flipped in four batches opens one incident before the first, holds every owner mail, and mails each site once when it ends', async ({ h, smtp }) => {
  const { silent, reporting } = await stormFleet(h);
  const seen: number[][] = [];
  const sweep = sweepWith(h, {
    onBatch: async () => {
      const now = await counts(h);
      seen.push([now.incidents, now.notified, now.pending]);
    },
  });
  const storm = await sweep.run(h.clock.now());
  await h.delivery.deliverDue(h.clock.now());
  // 12 flips in 4 transactions, one storm
  assert.is(storm.flipped, 12);
  assert.is(storm.flipBatches, 4);
  assert.is(storm.storm, true);
  assert.is(storm.incidentOpened, true);
  // after every batch: one incident, three more sites in owner mails, none of them unheld
  assert.equal(seen, [[1, 3, 0], [1, 6, 0], [1, 9, 0], [1, 12, 0]]);
  // only the operator heard of it
  assert.equal(smtp.received.map((m) => m.to), [OPERATOR]);

  // the fault is fixed for bot 1 of every owner; bots 2 and 3 stay silent
  h.clock.advance(2 * MINUTE);
  for (const bot of silent.filter((_, i) => i < 4)) await h.heartbeat(bot.token);
  h.clock.advance(STALE_AFTER_MS);
  for (const token of [...reporting, ...silent.filter((_, i) => i < 4).map((b) => b.token)]) await h.heartbeat(token);
  const end = await h.sweepAndDeliver();
  // the incident ends; what is still true is mailed
  assert.is(end.incidentClosed, true);
  for (let i = 0; i < 3; i++) {
    h.clock.advance(MINUTE);
    await h.sweepAndDeliver();
  }
  const ownerMails = smtp.received.filter((m) => m.to !== OPERATOR);
  // every owner is mailed, about bots 2 and 3 only, and no site is in two mails
  assert.is(new Set(ownerMails.map((m) => m.to)).size, 4);
  for (const mail of ownerMails) assert.not.match(mail.text, /bot 1\b/);
  const { rows } = await h.db.query<{ bot_id: string; mails: number }>(
    `SELECT n.bot_id, count(DISTINCT n.outbox_id)::int AS mails FROM alert_notifications n JOIN alert_outbox o ON o.id = n.outbox_id
     WHERE n.kind = 'stale' AND o.status = 'sent' GROUP BY n.bot_id`,
  );
  assert.is(rows.length, 8);
  assert.ok(rows.every((row) => row.mails === 1), JSON.stringify(rows));
});

test('a crash between two batches leaves the rest to the next sweep: every bot flipped once, one incident, one mail entry each', async ({ h }) => {
  const { silent } = await stormFleet(h);
  let crash = true;
  const sweep = sweepWith(h, {
    onBatch: ({ batch }) => {
      if (crash && batch === 2) throw new Error('killed between batches');
    },
  });
  const failure = await sweep.run(h.clock.now()).then(
    () => undefined,
    (error: Error) => error,
  );
  // the sweep died after its second batch: six bots are flipped and their mails held
  assert.is(failure?.message, 'killed between batches');
  const halfway = await counts(h);
  assert.equal({ flips: halfway.flips, incidents: halfway.incidents, notified: halfway.notified, pending: halfway.pending }, { flips: 6, incidents: 1, notified: 6, pending: 0 });

  crash = false;
  h.clock.advance(MINUTE);
  const next = await sweep.run(h.clock.now());
  // the next sweep was not locked out by the dead one, and flips only the other six
  assert.is(next.skipped, false);
  assert.is(next.flipped, 6);
  const after = await counts(h);
  // twelve flips, twelve episodes, each bot in exactly one stale mail, all held by the one incident
  assert.equal(after, { flips: 12, episodes: 12, incidents: 1, notified: 12, notifications: 12, pending: 0 });
  for (const bot of silent) assert.is((await findOwnedBot(h.db, bot.ownerId, bot.id))?.connection_status, 'stale');
});

test('a second instance sweeping while the first is between batches skips, and sweeps again once the first is done', async ({ h }) => {
  await stormFleet(h);
  const other = createSweep({ db: await secondConnection(), metrics: h.metrics, ...sweepSettings(h.config) });
  const during: boolean[] = [];
  const sweep = sweepWith(h, {
    onBatch: async ({ batch }) => {
      if (batch === 1) during.push((await other.run(h.clock.now())).skipped);
    },
  });
  const first = await sweep.run(h.clock.now());
  // the other instance, on its own connection, found the lease held in between two transactions
  assert.equal(during, [true]);
  assert.is(first.flipped, 12);
  h.clock.advance(MINUTE);
  const later = await other.run(h.clock.now());
  // the lease went with the first sweep
  assert.is(later.skipped, false);
  assert.is(later.flipped, 0);
});

test('a sweep whose lease another instance took over between two batches stops without writing, and the new holder flips the rest', async ({ h }) => {
  await stormFleet(h);
  const other = createSweep({ db: await secondConnection(), metrics: h.metrics, ...sweepSettings(h.config), holder: 'other' });
  const sweep = sweepWith(h, {
    holder: 'first',
    onBatch: async ({ batch }) => {
      if (batch !== 1) return;
      // the first instance stalls past its lease (a long pause): the other takes it over
      const { rows } = await h.db.query<{ expires_at: Date }>('SELECT expires_at FROM sweep_lease');
      const thief = await acquireSweepLease(h.db, 'thief', 1000, new Date(rows[0]!.expires_at.getTime() + 1));
      assert.ok(thief);
      await releaseSweepLease(h.db, thief!);
    },
  });
  const first = await sweep.run(h.clock.now());
  // only its first batch was written; its next transaction found the token changed and wrote nothing
  assert.is(first.leaseLost, true);
  assert.is(first.flipped, 3);
  assert.is((await counts(h)).flips, 3);
  const next = await other.run(h.clock.now());
  assert.is(next.skipped, false);
  assert.is(next.flipped, 9);
  // every silent bot flipped once, in one stale notification each
  const after = await counts(h);
  assert.equal({ flips: after.flips, notified: after.notified, notifications: after.notifications }, { flips: 12, notified: 12, notifications: 12 });
});

test('heartbeats of bots in a flipped batch and in a later one are committed while the sweep is still running', async ({ h }) => {
  const { silent } = await stormFleet(h);
  // silent[0] is in the first batch, silent[11] in the last
  const [early, late] = [silent[0]!, silent[11]!];
  const answered: Array<number | 'timed out'> = [];
  const within = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([promise, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms).unref())]);
  const sweep = sweepWith(h, {
    onBatch: async ({ batch }) => {
      if (batch !== 1) return;
      // the sweep waits here until both answers are in: a row lock still held would time out
      for (const bot of [early, late]) {
        const response = await within(h.heartbeat(bot.token), 5000);
        answered.push(response === 'timed out' ? response : response.statusCode);
      }
    },
  });
  const result = await sweep.run(h.clock.now());
  // both heartbeats were committed (200 comes after the commit) in the middle of the sweep
  assert.equal(answered, [200, 200]);
  // the early bot, flipped in batch 1, is back; the late one was never flipped (its batch saw the heartbeat)
  assert.is(result.flipped, 11);
  assert.is((await findOwnedBot(h.db, early.ownerId, early.id))?.connection_status, 'connected');
  assert.is((await findOwnedBot(h.db, late.ownerId, late.id))?.connection_status, 'connected');
});

test.run();
