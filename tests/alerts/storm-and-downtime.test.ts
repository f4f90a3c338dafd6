import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { markIngestAlive } from '../../src/alerts/ingest-liveness.ts';
import { listConnectionEvents } from '../../src/db/bots.ts';
import { STALE_AFTER_MS, type AlertHarness, type SmtpSink, useAlertSuite } from './alert-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const OPERATOR = 'ops@agentdesk.example.test';

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('storm guard and our own downtime');

useAlertSuite(test, { env: { OPERATOR_EMAIL: OPERATOR } });

const scrape = async (h: AlertHarness) => (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
/** Moves time forward as a running service does: an ingest-alive stamp every 15 seconds. */
async function stayAlive(h: AlertHarness, ms: number) {
  for (let left = ms; left > 0; left -= 15_000) {
    h.clock.advance(Math.min(15_000, left));
    await markIngestAlive(h.db, h.clock.now());
  }
}
const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

test('holds owner mails and opens one incident when 30 of 40 bots go stale at once, then sends only what is still true', async ({ h, smtp }) => {
  // 10 owners with 4 bots each: bot 0 keeps reporting, bots 1–3 fall silent together
  const owners: Array<{ bots: Array<{ token: string }> }> = [];
  for (let i = 0; i < 10; i++) {
    const owner = await h.owner();
    const bots = [];
    for (let b = 0; b < 4; b++) bots.push(await h.connectedBot(owner.id, `Owner ${i} bot ${b}`));
    owners.push({ bots });
  }
  const beat = async (which: number[]) => {
    for (const { bots } of owners) for (const b of which) await h.heartbeat(bots[b]!.token);
  };
  h.clock.advance(8 * MINUTE);
  await beat([0]);
  h.clock.advance(3 * MINUTE);
  const storm = await h.sweepAndDeliver();
  // 30 of 40 flipped in one sweep: a storm; no owner is mailed, the operator is
  assert.is(storm.flipped, 30);
  assert.is(storm.storm, true);
  assert.is(storm.heldMails, 10);
  assert.equal(smtp.received.map((m) => m.to), [OPERATOR]);
  assert.match(smtp.received[0]!.subject, /Storm incident #\d+: 30 of 40 bots went stale at once/);
  // the incident is visible in the metrics, computed from the database
  assert.is(gauge(await scrape(h), 'agentdesk_storm_incident_active'), 1);

  h.clock.advance(MINUTE);
  await h.sweepAndDeliver();
  // still one incident, still no owner mail
  const { rows } = await h.db.query<{ count: number }>('SELECT count(*)::int AS count FROM alert_incidents');
  assert.is(rows[0]!.count, 1);
  assert.is(smtp.received.length, 1);

  // the fault is fixed: bots 1 and 2 of every owner report again, bot 3 stays silent
  h.clock.advance(2 * MINUTE);
  await beat([0, 1, 2]);
  h.clock.advance(5 * MINUTE);
  await beat([0, 1, 2]);
  h.clock.advance(4 * MINUTE);
  const end = await h.sweepAndDeliver();
  // the first calm sweep a stale_after after the storm ends the incident
  assert.is(end.incidentClosed, true);
  assert.is(end.releasedMails, 10);
  assert.is(gauge(await scrape(h), 'agentdesk_storm_incident_active'), 0);
  const ownerMails = smtp.received.filter((m) => m.to !== OPERATOR);
  // each owner gets one mail listing only the site that is still stale; no recovery mails
  assert.is(ownerMails.length, 10);
  for (const mail of ownerMails) {
    assert.is(mail.subject, 'A site stopped reporting to AgentDesk');
    assert.match(mail.text, /Owner \d bot 3/);
    assert.not.match(mail.text, /bot 1|bot 2/);
  }
  // the operator hears that it ended
  assert.ok(smtp.received.some((m) => m.to === OPERATOR && /ended/.test(m.subject)));
  h.clock.advance(MINUTE);
  await h.sweepAndDeliver();
  // and nothing more follows
  assert.is(smtp.received.length, 12);
});

test('drops held mails whose sites all came back before the storm ended', async ({ h, smtp }) => {
  const bots = [];
  for (let i = 0; i < 5; i++) {
    const owner = await h.owner();
    for (let b = 0; b < 5; b++) bots.push(await h.connectedBot(owner.id, `Site ${i}-${b}`));
  }
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  const storm = await h.sweepAndDeliver();
  // 25 of 25 stale: storm, five owner mails held
  assert.is(storm.heldMails, 5);
  for (const { token } of bots) await h.heartbeat(token);
  h.clock.advance(STALE_AFTER_MS);
  const end = await h.sweepAndDeliver();
  // all came back: every held mail is dropped, owners get nothing
  assert.is(end.droppedMails, 5);
  assert.is(smtp.received.filter((m) => m.to !== OPERATOR).length, 0);
  const statuses = (await h.outbox()).filter((r) => r.kind === 'stale').map((r) => r.status);
  assert.equal([...new Set(statuses)], ['dropped']);
});

test('sends nothing after a 2-hour outage of ours until the bots have had stale_after to report', async ({ h, smtp }) => {
  await markIngestAlive(h.db, h.clock.now());
  const owner = await h.owner();
  const { token: reporter } = await h.connectedBot(owner.id, 'Reports after restart');
  const { bot: silent } = await h.connectedBot(owner.id, 'Really broken');
  await h.connectedBot(owner.id, 'Also broken');
  h.clock.advance(MINUTE);
  await markIngestAlive(h.db, h.clock.now());
  // we are down for two hours: no heartbeat is recorded, no stamp is written
  h.clock.advance(2 * HOUR);
  const resumedAt = h.clock.now();
  const resumed = await markIngestAlive(h.db, resumedAt);
  // the restart sees the gap
  assert.is(resumed, true);
  const atRestart = await h.sweepAndDeliver();
  // every bot is two hours silent, yet none is stale: they could not reach us
  assert.is(atRestart.flipped, 0);
  await stayAlive(h, 3 * MINUTE);
  await h.heartbeat(reporter);
  await stayAlive(h, STALE_AFTER_MS - 3 * MINUTE - 1000);
  const justBefore = await h.sweepAndDeliver();
  // still within stale_after of our restart: no mail
  assert.is(justBefore.flipped, 0);
  assert.is(smtp.received.length, 0);
  await stayAlive(h, 2000);
  const after = await h.sweepAndDeliver();
  // then the two that stayed silent are stale, in one mail; the one that reported is not in it
  assert.is(after.flipped, 2);
  assert.is(smtp.received.length, 1);
  assert.ok(smtp.received[0]!.text.includes('Really broken') && !smtp.received[0]!.text.includes('Reports after restart'));
  const event = (await listConnectionEvents(h.db, silent.id)).find((e) => e.to_status === 'stale')!;
  // the flip is dated a stale_after after we came back, not after the last heartbeat
  assert.is(event.occurred_at.getTime(), resumedAt.getTime() + STALE_AFTER_MS);
});

test('does not restart stale timers for a gap shorter than the downtime threshold', async ({ h, smtp }) => {
  await markIngestAlive(h.db, h.clock.now());
  const owner = await h.owner();
  await h.connectedBot(owner.id, 'Normal');
  for (let i = 0; i < 11; i++) {
    h.clock.advance(MINUTE);
    // stamps every minute: no downtime
    assert.is(await markIngestAlive(h.db, h.clock.now()), false);
  }
  await h.sweepAndDeliver();
  // stale on time
  assert.is(smtp.received.length, 1);
});

test('exports the alert metrics, with the outbox backlog read from the database', async ({ h }) => {
  const owner = await h.owner();
  await h.connectedBot(owner.id, 'Metered');
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweep.run(h.clock.now());
  const before = await scrape(h);
  // every alert metric is there
  for (const name of ['agentdesk_alert_emails_total', 'agentdesk_outbox_pending', 'agentdesk_sweep_duration_seconds', 'agentdesk_sweep_last_success_timestamp_seconds', 'agentdesk_storm_incident_active']) {
    assert.ok(before.includes(`# TYPE ${name} `), name);
  }
  // one mail waiting
  assert.is(gauge(before, 'agentdesk_outbox_pending'), 1);
  await h.delivery.deliverDue(h.clock.now());
  const after = await scrape(h);
  // sent and counted
  assert.is(gauge(after, 'agentdesk_outbox_pending'), 0);
  assert.match(after, /agentdesk_alert_emails_total\{kind="stale",result="sent"\} 1/);
});

test.run();
