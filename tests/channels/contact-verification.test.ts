// Email contacts confirm their address before they get anything, and what an owner can make
// AgentDesk send on request is throttled (docs/alerts.md, "Confirming an email contact" and "Send a
// test"; docs/RELIABILITY.md). Real PostgreSQL, a real SMTP server and real webhook and Slack
// receivers; time moves by the harness clock, never by waiting.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enqueueChannelTest, findChannel } from '../../src/db/channels.ts';
import { createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import {
  confirmContact,
  confirmLinkOf,
  createAlertHarness,
  receiverEnv,
  secondConnection,
  STALE_AFTER_MS,
  ownerApi,
  useChannelSuite,
  type AlertHarness,
  type ChannelSuiteCtx,
} from '../alerts/alert-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Ctx = ChannelSuiteCtx;
const test = suite<Ctx>('email contacts confirm their address; tests and confirmations are throttled');

useChannelSuite(test);

const api = ownerApi;

async function addContact(h: AlertHarness, key: string, target: string, name = 'Client') {
  const created = await api(h, key, 'POST', '/api/channels', { kind: 'email', name, target });
  assert.is(created.status, 201, JSON.stringify(created.json));
  return created;
}

const mailsTo = (ctx: Ctx, address: string) => ctx.smtp.received.filter((m) => m.to === address);

test('a new email contact is unverified, is sent one confirmation mail, and gets no alert until it confirms', async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  const created = await addContact(h, owner.apiKey, 'stranger@example.com');
  // unverified, and the answer says a confirmation mail is on its way
  assert.is(created.json.channel.verification, 'unverified');
  assert.is(created.json.confirmation.queued, true);
  await h.connectedBot(owner.user.id, 'Buy cheap stuff at http://spam.example');
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweepAndDeliver();
  // the contact got its confirmation mail only: fixed subject, the owner named in the body
  const toContact = mailsTo(ctx, 'stranger@example.com');
  assert.equal(toContact.map((m) => m.subject), ['Confirm that you want AgentDesk alerts at this address']);
  assert.match(toContact[0]!.text, new RegExp(`${owner.user.email} added this address`));
  assert.is(toContact[0]!.header('List-Unsubscribe'), undefined);
  // routing skipped the contact: no alert row was queued for it at all
  const { rows } = await h.db.query<{ kind: string }>('SELECT kind FROM alert_outbox WHERE channel_id = $1 ORDER BY id', [created.json.channel.id]);
  assert.equal(rows.map((r) => r.kind), ['contact_verification']);
  // the owner's own mail went out as usual
  assert.is(mailsTo(ctx, owner.user.email).length, 1);

  // the link's GET only asks (mail scanners prefetch links); POST confirms
  const link = confirmLinkOf(toContact[0]!);
  const asked = await h.app.inject({ method: 'GET', url: link });
  assert.is(asked.statusCode, 200);
  assert.match(asked.body, /Confirm this address/);
  assert.is((await api(h, owner.apiKey, 'GET', `/api/channels/${created.json.channel.id}`)).json.verification, 'unverified');
  const confirmed = await h.app.inject({ method: 'POST', url: link });
  assert.is(confirmed.statusCode, 200);
  assert.match(confirmed.body, /Address confirmed/);
  // verified in both API answers
  assert.is((await api(h, owner.apiKey, 'GET', `/api/channels/${created.json.channel.id}`)).json.verification, 'verified');
  const listed = (await api(h, owner.apiKey, 'GET', '/api/channels')).json.channels;
  assert.equal(listed.map((c: { verification: string }) => c.verification), ['verified', 'verified']);

  // the next alert reaches it, with nothing the owner typed in the subject
  await h.connectedBot(owner.user.id, 'Second shop');
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweepAndDeliver();
  const alert = mailsTo(ctx, 'stranger@example.com').at(-1)!;
  assert.is(alert.subject, 'A site stopped reporting to AgentDesk');
  assert.match(alert.text, /Second shop/);
});

test('a test of an unconfirmed contact is refused with 409 and sends nothing', async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  const created = await addContact(h, owner.apiKey, 'unconfirmed@example.com');
  await h.delivery.deliverDue(h.clock.now());
  ctx.smtp.received.length = 0;
  for (let i = 0; i < 3; i++) {
    const answer = await api(h, owner.apiKey, 'POST', `/api/channels/${created.json.channel.id}/test`, {});
    // refused, saying why and what to do
    assert.is(answer.status, 409);
    assert.match(answer.json.message, /has not confirmed yet.*confirmation/);
  }
  await h.delivery.deliverDue(h.clock.now());
  // no mail, and no test row queued
  assert.is(ctx.smtp.received.length, 0);
  const { rows } = await h.db.query<{ count: number }>("SELECT count(*)::int AS count FROM alert_outbox WHERE kind = 'test'");
  assert.is(rows[0]!.count, 0);
});

test('the confirmation can be resent at most once an hour: earlier is 429 with Retry-After and says when', async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  const { json } = await addContact(h, owner.apiKey, 'slow@example.com');
  const resend = () => api(h, owner.apiKey, 'POST', `/api/channels/${json.channel.id}/verification`);
  const early = await resend();
  // an hour to wait, said in the header and the message
  assert.is(early.status, 429);
  assert.is(early.headers['retry-after'], '3600');
  assert.match(early.json.message, /went to slow@example\.com less than an hour ago.*60 minutes/);
  h.clock.advance(59 * MINUTE);
  const still = await resend();
  assert.is(still.status, 429);
  assert.is(still.headers['retry-after'], '60');
  h.clock.advance(MINUTE);
  const again = await resend();
  // an hour later: accepted, and a second mail goes out
  assert.is(again.status, 202);
  await h.delivery.deliverDue(h.clock.now());
  assert.is(mailsTo(ctx, 'slow@example.com').length, 2);
  // once confirmed, there is nothing to resend
  await confirmContact(h, ctx.smtp, 'slow@example.com');
  h.clock.advance(2 * HOUR);
  const done = await resend();
  assert.is(done.status, 409);
  assert.match(done.json.message, /already confirmed/);
  // a webhook needs no confirmation
  const hook = await api(h, owner.apiKey, 'POST', '/api/channels', { kind: 'webhook', name: 'Hook', target: ctx.hook.url('/h') });
  assert.is((await api(h, owner.apiKey, 'POST', `/api/channels/${hook.json.channel.id}/verification`)).status, 400);
});

test('deleting and re-adding a contact does not mail the same address again within the hour', async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  for (let i = 0; i < 3; i++) {
    const { json } = await addContact(h, owner.apiKey, 'victim@example.com');
    // after the first, the contact is added but no mail goes out, and the answer says so
    assert.is(json.confirmation.queued, i === 0);
    if (i > 0) assert.match(json.confirmation.message, /No confirmation mail was sent/);
    assert.is((await api(h, owner.apiKey, 'DELETE', `/api/channels/${json.channel.id}`)).status, 200);
  }
  await h.delivery.deliverDue(h.clock.now());
  assert.is(mailsTo(ctx, 'victim@example.com').length, 0, 'the first contact was deleted before its mail went out');
  const { rows } = await h.db.query<{ count: number }>("SELECT count(*)::int AS count FROM channel_sends WHERE kind = 'verification'");
  assert.is(rows[0]!.count, 1);
});

test('a row already queued for a contact that has not confirmed (before an upgrade, or its address changed) is dropped at delivery', async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  const { json } = await addContact(h, owner.apiKey, 'queued@example.com');
  await h.delivery.deliverDue(h.clock.now());
  ctx.smtp.received.length = 0;
  // a row the API would refuse, written as an older version would have
  const channel = (await findChannel(h.db, owner.user.id, json.channel.id))!;
  const rowId = await enqueueChannelTest(h.db, channel, h.clock.now());
  await h.delivery.deliverDue(h.clock.now());
  // dropped, saying why; nothing sent
  const { rows } = await h.db.query<{ status: string; last_error: string }>('SELECT status, last_error FROM alert_outbox WHERE id = $1', [rowId]);
  assert.equal(rows[0], { status: 'dropped', last_error: 'the address has not confirmed yet' });
  assert.is(ctx.smtp.received.length, 0);
});

test("changing a contact's address makes it unverified again, and the old address's link no longer confirms", async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  const { json } = await addContact(h, owner.apiKey, 'first@example.com');
  await h.delivery.deliverDue(h.clock.now());
  const oldLink = confirmLinkOf(mailsTo(ctx, 'first@example.com')[0]!);
  await h.app.inject({ method: 'POST', url: oldLink });
  // same address again: still verified
  const same = await api(h, owner.apiKey, 'PUT', `/api/channels/${json.channel.id}`, { target: 'first@example.com', name: 'Renamed' });
  assert.is(same.json.verification, 'verified');
  const changed = await api(h, owner.apiKey, 'PUT', `/api/channels/${json.channel.id}`, { target: 'second@example.com' });
  // a new address: unverified, and its own confirmation mail is queued
  assert.is(changed.json.verification, 'unverified');
  assert.is(changed.json.confirmation.queued, true);
  await h.delivery.deliverDue(h.clock.now());
  assert.is(mailsTo(ctx, 'second@example.com').length, 1);
  // the first address's link is for the first address only
  const replay = await h.app.inject({ method: 'POST', url: oldLink });
  assert.is(replay.statusCode, 404);
  assert.is((await api(h, owner.apiKey, 'GET', `/api/channels/${json.channel.id}`)).json.verification, 'unverified');
  // and a test is refused until the new address confirms
  assert.is((await api(h, owner.apiKey, 'POST', `/api/channels/${json.channel.id}/test`, {})).status, 409);
  await confirmContact(h, ctx.smtp, 'second@example.com');
  assert.is((await api(h, owner.apiKey, 'POST', `/api/channels/${json.channel.id}/test`, {})).json.result, 'sent');
});

test('the account email counts as verified; webhooks and Slack show verification null', async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  await api(h, owner.apiKey, 'POST', '/api/channels', { kind: 'webhook', name: 'Hook', target: ctx.hook.url('/h') });
  // listed in the order added (same-time channels would be ordered by id)
  h.clock.advance(1000);
  await api(h, owner.apiKey, 'POST', '/api/channels', { kind: 'slack', name: '#ops', target: ctx.slack.url('/services/T/B/X') });
  const { json } = await api(h, owner.apiKey, 'GET', '/api/channels');
  assert.equal(
    json.channels.map((c: { kind: string; verification: string | null }) => [c.kind, c.verification]),
    [['email', 'verified'], ['webhook', null], ['slack', null]],
  );
  // the account email is tested at once, no confirmation asked
  assert.is((await api(h, owner.apiKey, 'POST', `/api/channels/${json.channels[0].id}/test`, {})).json.result, 'sent');
});

test('test sends: one a minute per channel, for webhooks, Slack and email alike', async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  const hook = await api(h, owner.apiKey, 'POST', '/api/channels', { kind: 'webhook', name: 'Hook', target: ctx.hook.url('/h') });
  ctx.hook.secret = hook.json.secret;
  const slack = await api(h, owner.apiKey, 'POST', '/api/channels', { kind: 'slack', name: '#ops', target: ctx.slack.url('/services/T/B/X') });
  const contact = await addContact(h, owner.apiKey, 'ok@example.com');
  await confirmContact(h, ctx.smtp, 'ok@example.com');
  for (const id of [hook.json.channel.id, slack.json.channel.id, contact.json.channel.id]) {
    const first = await api(h, owner.apiKey, 'POST', `/api/channels/${id}/test`, {});
    assert.is(first.json.result, 'sent');
    h.clock.advance(30_000);
    const second = await api(h, owner.apiKey, 'POST', `/api/channels/${id}/test`, {});
    // 30 s later: refused, 30 s to wait
    assert.is(second.status, 429);
    assert.is(second.headers['retry-after'], '30');
    assert.match(second.json.message, /one a minute\. Try again in 30 seconds/);
    h.clock.advance(30_000);
    // a minute after the first: allowed again
    assert.is((await api(h, owner.apiKey, 'POST', `/api/channels/${id}/test`, {})).json.result, 'sent');
  }
  // each receiver got exactly the two allowed tests
  assert.is(ctx.hook.received.length, 2);
  assert.is(ctx.slack.received.length, 2);
  assert.is(mailsTo(ctx, 'ok@example.com').length, 2);
});

test('test sends: ten an hour per owner, whichever channels, and deleting a channel gives nothing back', async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  const start = h.clock.now().getTime();
  let id = '';
  for (let i = 0; i < 10; i++) {
    // a new webhook for every other test: deleting and re-adding does not reset the count
    if (i % 2 === 0) {
      if (id) await api(h, owner.apiKey, 'DELETE', `/api/channels/${id}`);
      const created = await api(h, owner.apiKey, 'POST', '/api/channels', { kind: 'webhook', name: `Hook ${i}`, target: ctx.hook.url(`/h${i}`) });
      id = created.json.channel.id;
      ctx.hook.secret = created.json.secret;
    }
    assert.is((await api(h, owner.apiKey, 'POST', `/api/channels/${id}/test`, {})).json.result, 'sent', `test ${i + 1}`);
    h.clock.advance(2 * MINUTE);
  }
  const freshChannel = await api(h, owner.apiKey, 'POST', '/api/channels', { kind: 'webhook', name: 'Fresh', target: ctx.hook.url('/fresh') });
  const fresh = freshChannel.json.channel.id;
  ctx.hook.secret = freshChannel.json.secret;
  const eleventh = await api(h, owner.apiKey, 'POST', `/api/channels/${fresh}/test`, {});
  // the 11th within the hour: 429 until the first leaves the hour (started 20 minutes ago)
  assert.is(eleventh.status, 429);
  assert.is(eleventh.headers['retry-after'], String((start + HOUR - h.clock.now().getTime()) / 1000));
  assert.match(eleventh.json.message, /at most 10 an hour per account\. Try again in 40 minutes/);
  assert.is(ctx.hook.received.length, 10);
  // another owner is not affected
  const other = await createOwner(h.db);
  const theirs = (await api(h, other.apiKey, 'GET', '/api/channels')).json.channels[0].id;
  assert.is((await api(h, other.apiKey, 'POST', `/api/channels/${theirs}/test`, {})).json.result, 'sent');
  h.clock.set(new Date(start + HOUR + 1000));
  assert.is((await api(h, owner.apiKey, 'POST', `/api/channels/${fresh}/test`, {})).json.result, 'sent');
});

test('the per-channel limit holds across two instances pressing "Send a test" at the same moment', async (ctx) => {
  const other = await createAlertHarness({ db: await secondConnection(), clock: ctx.h.clock, smtp: ctx.smtp, env: receiverEnv(ctx) });
  try {
    const owner = await createOwner(ctx.h.db);
    const hook = await api(ctx.h, owner.apiKey, 'POST', '/api/channels', { kind: 'webhook', name: 'Hook', target: ctx.hook.url('/h') });
    const id = hook.json.channel.id;
    const answers = await Promise.all([ctx.h, other, ctx.h, other].map((instance) => api(instance, owner.apiKey, 'POST', `/api/channels/${id}/test`, {})));
    // one accepted, three refused, whichever instance answered
    assert.equal(answers.map((a) => a.status).sort(), [200, 429, 429, 429]);
    assert.is(ctx.hook.received.length, 1);
  } finally {
    await other.close();
  }
});

test('the channel page shows an unverified contact with a resend button; too early is 429 with Retry-After', async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  const page = await loggedIn(h.app, owner.user.email, owner.password);
  await page.get('/channels');
  const added = await page.post('/channels', { kind: 'email', name: 'Page contact', target: 'page@example.com' });
  // added, with the confirmation notice, and listed as unverified
  assert.is(added.statusCode, 201);
  assert.match(added.body, /A confirmation mail is on its way to page@example\.com/);
  assert.match(added.body, /data-verification="unverified"/);
  const id = (await api(h, owner.apiKey, 'GET', '/api/channels')).json.channels[1].id;
  const detail = await page.get(`/channels/${id}`);
  assert.match(detail.body, /data-verification="unverified">unverified/);
  assert.match(detail.body, /another can be sent after/);
  assert.match(detail.body, new RegExp(`action="/channels/${id}/verification"`));
  const early = await page.post(`/channels/${id}/verification`, {});
  // too early: 429, Retry-After, and the page says how long
  assert.is(early.statusCode, 429);
  assert.is(early.headers['retry-after'], '3600');
  assert.match(early.body, /less than an hour ago: check that inbox/);
  // "Send a test" beside the button says why nothing was sent
  const tested = await page.post(`/channels/${id}/test`, {}, { 'hx-request': 'true' });
  assert.is(tested.statusCode, 409);
  assert.match(tested.body, /data-result="refused">This address has not confirmed yet/);
  h.clock.advance(HOUR);
  await page.get(`/channels/${id}`);
  const resent = await page.post(`/channels/${id}/verification`, {});
  assert.is(resent.statusCode, 202);
  await confirmContact(h, ctx.smtp, 'page@example.com');
  const after = await page.get(`/channels/${id}`);
  // confirmed: no resend button any more
  assert.match(after.body, /data-verification="verified">verified/);
  assert.not.match(after.body, /\/verification"/);
});

test.run();
