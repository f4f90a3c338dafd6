import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listConnectionEvents, findOwnedBot } from '../../src/db/bots.ts';
import { STALE_AFTER_MS, type AlertHarness, type SmtpSink, useAlertSuite } from './alert-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('stale sweep: digests, recoveries and reminders');

useAlertSuite(test);

test('sends one mail listing all three bots of an owner that go stale in one sweep', async ({ h, smtp }) => {
  const owner = await h.owner({ timezone: 'Europe/Paris' });
  for (const name of ['Alpha shop', 'Beta blog', 'Gamma docs']) await h.connectedBot(owner.id, name);
  h.clock.advance(STALE_AFTER_MS - 1000);
  const early = await h.sweepAndDeliver();
  // nobody is stale before stale_after has passed
  assert.is(early.flipped, 0);
  h.clock.advance(2000);
  const result = await h.sweepAndDeliver();
  // all three flip in this sweep, and travel in one mail
  assert.is(result.flipped, 3);
  assert.is(smtp.received.length, 1);
  const mail = smtp.received[0]!;
  // addressed to the owner, naming the count
  assert.is(mail.to, owner.email);
  assert.is(mail.subject, '3 of your sites stopped reporting to AgentDesk');
  // every site with its URL, last seen in the owner's time zone (10:00 UTC = 11:00 Paris) and how long ago
  for (const name of ['Alpha shop', 'Beta blog', 'Gamma docs']) assert.ok(mail.text.includes(name), name);
  assert.ok(mail.text.includes('https://alpha-shop.example.com'));
  assert.ok(mail.text.includes('5 Jan 2026, 11:00 (Europe/Paris)'), mail.text);
  assert.ok(mail.text.includes('10 minutes 1 second ago'), mail.text);
  // what to check, dashboard link, mute link, HTML part and one-click unsubscribe headers
  assert.ok(mail.text.includes('WP-Cron'));
  assert.ok(mail.text.includes('https://desk.example.test/bots/'));
  assert.is((mail.text.match(/\/alerts\/mute\?t=/g) ?? []).length, 3);
  assert.ok(mail.html.includes('Alpha shop'));
  assert.match(mail.header('list-unsubscribe') ?? '', /https:\/\/desk\.example\.test\/alerts\/unsubscribe\?t=/);
  assert.is(mail.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  const again = await h.sweepAndDeliver();
  // a second sweep finds nothing new and sends nothing
  assert.is(again.flipped, 0);
  assert.is(smtp.received.length, 1);
});

test('dates the stale flip at last activity + stale_after, with one event per bot', async ({ h }) => {
  const owner = await h.owner();
  const { bot } = await h.connectedBot(owner.id, 'Dated');
  const lastSeen = h.clock.now();
  h.clock.advance(STALE_AFTER_MS + 7 * MINUTE);
  await h.sweepAndDeliver();
  await h.sweepAndDeliver();
  const events = (await listConnectionEvents(h.db, bot.id)).filter((e) => e.to_status === 'stale');
  // exactly one connected→stale event, dated when the bot became stale, not when the sweep saw it
  assert.is(events.length, 1);
  assert.is(events[0]!.occurred_at.getTime(), lastSeen.getTime() + STALE_AFTER_MS);
  const stored = await findOwnedBot(h.db, owner.id, bot.id);
  // the bot is stale and no longer counts as connected
  assert.is(stored?.connection_status, 'stale');
  assert.is(stored?.wordpress_connected, false);
});

test('sends one mail to each of two owners whose bots go stale together', async ({ h, smtp }) => {
  const first = await h.owner();
  const second = await h.owner();
  await h.connectedBot(first.id, 'First A');
  await h.connectedBot(first.id, 'First B');
  await h.connectedBot(second.id, 'Second A');
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweepAndDeliver();
  // one mail each, to the right owner, with the right sites
  assert.equal(smtp.received.map((m) => m.to).sort(), [first.email, second.email].sort());
  const toFirst = smtp.received.find((m) => m.to === first.email)!;
  assert.ok(toFirst.text.includes('First A') && toFirst.text.includes('First B') && !toFirst.text.includes('Second A'));
});

test('gives a bot its own grace on top of the global stale_after', async ({ h, smtp }) => {
  const owner = await h.owner();
  const { bot } = await h.connectedBot(owner.id, 'Quiet site');
  await h.db.query('UPDATE bots SET stale_grace_seconds = 1800 WHERE id = $1', [bot.id]);
  h.clock.advance(STALE_AFTER_MS + 29 * MINUTE);
  await h.sweepAndDeliver();
  // still within 10 min + 30 min grace: nothing
  assert.is(smtp.received.length, 0);
  h.clock.advance(2 * MINUTE);
  await h.sweepAndDeliver();
  // past it: the stale mail
  assert.is(smtp.received.length, 1);
});

test('sends one recovery mail saying how long the site was silent when a stale bot reports again', async ({ h, smtp }) => {
  const owner = await h.owner();
  const { token } = await h.connectedBot(owner.id, 'Comeback');
  h.clock.advance(2 * HOUR + 15 * MINUTE);
  await h.sweepAndDeliver();
  // the stale mail went out
  assert.is(smtp.received.length, 1);
  await h.heartbeat(token);
  h.clock.advance(MINUTE);
  await h.sweepAndDeliver();
  await h.sweepAndDeliver();
  // exactly one recovery mail
  assert.is(smtp.received.length, 2);
  const recovery = smtp.received[1]!;
  assert.is(recovery.subject, 'A site is reporting to AgentDesk again');
  assert.ok(recovery.text.includes('Comeback'));
  // silent from the last heartbeat to the one that came back
  assert.ok(recovery.text.includes('Silent for: 2 hours 15 minutes'), recovery.text);
});

test('sends no recovery mail for a bot whose stale mail was never sent', async ({ h, smtp }) => {
  const owner = await h.owner();
  const { bot, token } = await h.connectedBot(owner.id, 'Muted then back');
  await h.db.query('UPDATE bots SET muted_until = $2 WHERE id = $1', [bot.id, new Date(h.clock.now().getTime() + DAY)]);
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweepAndDeliver();
  await h.db.query('UPDATE bots SET muted_until = NULL WHERE id = $1', [bot.id]);
  await h.heartbeat(token);
  await h.sweepAndDeliver();
  // neither the stale nor the recovery mail
  assert.is(smtp.received.length, 0);
});

test('reminds daily after ALERT_REPEAT while still stale, and stops after 7 days', async ({ h, smtp }) => {
  const owner = await h.owner();
  await h.connectedBot(owner.id, 'Forgotten');
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweepAndDeliver();
  const staleAt = h.clock.now().getTime() - MINUTE;
  // the stale mail
  assert.is(smtp.received.length, 1);
  h.clock.set(new Date(staleAt + DAY - MINUTE));
  await h.sweepAndDeliver();
  // no reminder a minute before 24 h
  assert.is(smtp.received.length, 1);
  h.clock.set(new Date(staleAt + DAY + MINUTE));
  await h.sweepAndDeliver();
  await h.sweepAndDeliver();
  // one reminder just after 24 h, not two
  assert.is(smtp.received.length, 2);
  assert.is(smtp.received[1]!.subject, 'Reminder: a site is still not reporting to AgentDesk');
  assert.ok(smtp.received[1]!.text.includes('Forgotten'));
  for (let day = 2; day <= 10; day++) {
    h.clock.set(new Date(staleAt + day * DAY + MINUTE));
    await h.sweepAndDeliver();
  }
  const reminders = smtp.received.filter((m) => m.subject.startsWith('Reminder'));
  // days 1 to 7, then silence; the seventh says it is the last
  assert.is(reminders.length, 7);
  assert.ok(reminders[6]!.text.includes('This is the last reminder'));
});

test('sends only the latest due reminder after a gap, never a backlog', async ({ h, smtp }) => {
  const owner = await h.owner();
  await h.connectedBot(owner.id, 'Backlog');
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweepAndDeliver();
  h.clock.advance(3 * DAY + HOUR);
  await h.sweepAndDeliver();
  // one reminder for three missed days
  assert.is(smtp.received.filter((m) => m.subject.startsWith('Reminder')).length, 1);
});

test('sends nothing about a muted bot or to an owner who unsubscribed, nor about disabled bots or deactivated plugins', async ({ h, smtp }) => {
  const muter = await h.owner();
  const { bot: muted } = await h.connectedBot(muter.id, 'Muted');
  await h.db.query('UPDATE bots SET muted_until = $2 WHERE id = $1', [muted.id, new Date(h.clock.now().getTime() + DAY)]);
  const leaver = await h.owner();
  await h.connectedBot(leaver.id, 'Unsubscribed owner site');
  await h.db.query('UPDATE users SET alert_emails = false WHERE id = $1', [leaver.id]);
  const other = await h.owner();
  const { bot: disabled } = await h.connectedBot(other.id, 'Disabled');
  await h.db.query('UPDATE bots SET is_active = false WHERE id = $1', [disabled.id]);
  const { token: deactivating } = await h.connectedBot(other.id, 'Deactivated plugin');
  await h.heartbeat(deactivating, { is_active: false });
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  const result = await h.sweepAndDeliver();
  // the three silent bots flip (the log stays true) but no mail is queued or sent
  assert.is(result.flipped, 3);
  assert.is(result.staleMails, 0);
  assert.is(smtp.received.length, 0);
  h.clock.advance(2 * DAY);
  await h.sweepAndDeliver();
  // nor any reminder later
  assert.is(smtp.received.length, 0);
});

test('flips a bot whose last activity was written with microsecond precision', async ({ h }) => {
  const owner = await h.owner();
  const { bot } = await h.connectedBot(owner.id, 'Precise');
  await h.db.query("UPDATE bot_liveness SET last_activity = last_activity + interval '123 microseconds' WHERE bot_id = $1", [bot.id]);
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  const result = await h.sweepAndDeliver();
  // JavaScript reads it to the millisecond; the conditional update still matches
  assert.is(result.flipped, 1);
});

test.run();
