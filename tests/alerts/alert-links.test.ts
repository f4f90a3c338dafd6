import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { signLink } from '../../src/mail/signed-links.ts';
import { findOwnedBot } from '../../src/db/bots.ts';
import { findUserById } from '../../src/db/users.ts';
import { STALE_AFTER_MS, type AlertHarness, type SmtpSink, useAlertSuite } from './alert-harness.ts';

const HOUR = 3_600_000;

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('mute and unsubscribe links');

useAlertSuite(test);

/** A stale mail for one bot; returns the owner, the bot and the mute link path from the mail. */
async function staleMail(h: AlertHarness, smtp: SmtpSink) {
  const owner = await h.owner();
  const { bot, token } = await h.connectedBot(owner.id, 'Linked');
  h.clock.advance(STALE_AFTER_MS + 60_000);
  await h.sweepAndDeliver();
  const mail = smtp.received.at(-1)!;
  const mute = /https:\/\/desk\.example\.test(\/alerts\/mute\?t=[\w.\-]+)/.exec(mail.text)![1]!;
  const unsubscribe = /<https:\/\/desk\.example\.test(\/alerts\/unsubscribe\?t=[\w.\-]+)>/.exec(mail.header('list-unsubscribe')!)![1]!;
  return { owner, bot, token, mute, unsubscribe };
}

test('shows a confirmation on GET without muting, so mail scanners cannot mute', async ({ h, smtp }) => {
  const { owner, bot, mute } = await staleMail(h, smtp);
  const page = await h.app.inject({ method: 'GET', url: mute });
  // a small HTML page naming the site, with a button that posts
  assert.is(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /text\/html/);
  assert.ok(page.body.includes('Linked') && page.body.includes('<form method="post">'));
  // nothing muted yet
  assert.is((await findOwnedBot(h.db, owner.id, bot.id))?.muted_until, null);
});

test('mutes the site for 24 hours on POST, once; the link then refuses to work again', async ({ h, smtp }) => {
  const { owner, bot, mute } = await staleMail(h, smtp);
  const first = await h.app.inject({ method: 'POST', url: mute });
  // muted until 24 h from now
  assert.is(first.statusCode, 200);
  const until = (await findOwnedBot(h.db, owner.id, bot.id))?.muted_until;
  assert.is(until?.getTime(), h.clock.now().getTime() + 24 * HOUR);
  h.clock.advance(HOUR);
  const second = await h.app.inject({ method: 'POST', url: mute });
  // a second use is refused and does not extend the mute
  assert.is(second.statusCode, 410);
  assert.ok(second.body.includes('already been used'));
  assert.is((await findOwnedBot(h.db, owner.id, bot.id))?.muted_until?.getTime(), until?.getTime());
});

test('a mute link never shortens a longer mute the owner set on the dashboard', async ({ h, smtp }) => {
  const { owner, bot, mute } = await staleMail(h, smtp);
  const week = new Date(h.clock.now().getTime() + 7 * 24 * HOUR);
  await h.db.query('UPDATE bots SET muted_until = $2 WHERE id = $1', [bot.id, week]);
  const response = await h.app.inject({ method: 'POST', url: mute });
  // the link works, and the page reports the mute that really holds
  assert.is(response.statusCode, 200);
  // still muted for the week
  assert.is((await findOwnedBot(h.db, owner.id, bot.id))?.muted_until?.getTime(), week.getTime());
});

test('keeps a muted site out of reminders until the mute ends', async ({ h, smtp }) => {
  const { mute } = await staleMail(h, smtp);
  await h.app.inject({ method: 'POST', url: mute });
  h.clock.advance(24 * HOUR - STALE_AFTER_MS);
  await h.sweepAndDeliver();
  // the 24 h reminder falls inside the mute: nothing
  assert.is(smtp.received.length, 1);
  h.clock.advance(24 * HOUR);
  await h.sweepAndDeliver();
  // the next day's reminder comes after the mute: it is sent
  assert.is(smtp.received.length, 2);
});

test('rejects a tampered link with 400 and changes nothing', async ({ h, smtp }) => {
  const { owner, bot, mute } = await staleMail(h, smtp);
  const [body, signature] = mute.split('t=')[1]!.split('.');
  const claims = JSON.parse(Buffer.from(body!, 'base64url').toString());
  const forged = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400 * 365 })).toString('base64url');
  const tampered = await h.app.inject({ method: 'POST', url: `/alerts/mute?t=${forged}.${signature}` });
  // a changed payload no longer matches its signature
  assert.is(tampered.statusCode, 400);
  const flipped = signature!.startsWith('A') ? `B${signature!.slice(1)}` : `A${signature!.slice(1)}`;
  const badSignature = await h.app.inject({ method: 'POST', url: `/alerts/mute?t=${body}.${flipped}` });
  // nor does a changed signature
  assert.is(badSignature.statusCode, 400);
  const garbage = await h.app.inject({ method: 'POST', url: '/alerts/mute?t=not-a-token' });
  assert.is(garbage.statusCode, 400);
  // the bot is not muted
  assert.is((await findOwnedBot(h.db, owner.id, bot.id))?.muted_until, null);
});

test('rejects an expired link with 410', async ({ h, smtp }) => {
  const { owner, bot, mute } = await staleMail(h, smtp);
  h.clock.advance(7 * 24 * HOUR + 1000);
  const response = await h.app.inject({ method: 'POST', url: mute });
  // a week later the link has expired
  assert.is(response.statusCode, 410);
  assert.ok(response.body.includes('expired'));
  assert.is((await findOwnedBot(h.db, owner.id, bot.id))?.muted_until, null);
});

test('rejects a link signed with another secret, or for another owner\'s bot', async ({ h, smtp }) => {
  const { owner, bot } = await staleMail(h, smtp);
  const foreign = signLink('y'.repeat(40), { action: 'mute', userId: owner.id, botId: bot.id }, h.clock.now());
  // another secret: invalid
  assert.is((await h.app.inject({ method: 'POST', url: `/alerts/mute?t=${foreign}` })).statusCode, 400);
  const stranger = await h.owner();
  const crossed = signLink(h.compose.secret, { action: 'mute', userId: stranger.id, botId: bot.id }, h.clock.now());
  // a valid token whose owner does not own the bot: not found
  assert.is((await h.app.inject({ method: 'POST', url: `/alerts/mute?t=${crossed}` })).statusCode, 404);
});

test('honours the one-click List-Unsubscribe POST, after which the owner gets nothing', async ({ h, smtp }) => {
  const { owner, token, unsubscribe } = await staleMail(h, smtp);
  const response = await h.app.inject({
    method: 'POST',
    url: unsubscribe,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'List-Unsubscribe=One-Click',
  });
  // RFC 8058 one-click: unsubscribed without any further step
  assert.is(response.statusCode, 200);
  assert.is((await findUserById(h.db, owner.id))?.alert_emails, false);
  await h.heartbeat(token);
  await h.sweepAndDeliver();
  h.clock.advance(STALE_AFTER_MS + 60_000);
  await h.sweepAndDeliver();
  h.clock.advance(48 * HOUR);
  await h.sweepAndDeliver();
  // no recovery, stale or reminder mail since
  assert.is(smtp.received.length, 1);
});

test.run();
