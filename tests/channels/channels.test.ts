// Alert channels (docs/alerts.md "Channels"): the API with owner isolation, and delivery through the outbox
// to real local receivers: a webhook endpoint verifying the HMAC, a Slack-speaking endpoint, and the
// in-process SMTP server for email contacts. Time moves by the harness clock, never by waiting.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { claimMail, listAlertMailsForBot } from '../../src/db/outbox.ts';
import { enqueueChannelTest, findChannel } from '../../src/db/channels.ts';
import { createChannelDelivery } from '../../src/channels/channel-delivery.ts';
import { createSafeRequester } from '../../src/outbound/safe-request.ts';
import { createDelivery } from '../../src/alerts/delivery.ts';
import { createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import { confirmContact, createAlertHarness, ownerApi, secondConnection, STALE_AFTER_MS, useChannelSuite, type AlertHarness, type ChannelSuiteCtx } from '../alerts/alert-harness.ts';
import { verifySignature } from '../helpers/receivers.ts';

const MINUTE = 60_000;

type Ctx = ChannelSuiteCtx;
const test = suite<Ctx>('alert channels: contacts, webhooks and Slack through the outbox');

useChannelSuite(test);

const api = ownerApi;

/** An owner with an API key, and a webhook channel whose secret the receiver verifies with. */
async function ownerWithWebhook(ctx: Ctx, extra: Record<string, unknown> = {}) {
  const owner = await createOwner(ctx.h.db);
  const created = await api(ctx.h, owner.apiKey, 'POST', '/api/channels', { kind: 'webhook', name: 'Ops hook', target: ctx.hook.url('/hooks/agentdesk-secret-path'), ...extra });
  assert.is(created.status, 201, JSON.stringify(created.json));
  ctx.hook.secret = created.json.secret;
  return { owner, channel: created.json.channel, secret: created.json.secret as string };
}

const goStale = async (h: AlertHarness) => {
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  return h.sweepAndDeliver();
};

test('every owner starts with the account email as a channel, which cannot be deleted', async ({ h }) => {
  const owner = await createOwner(h.db);
  const list = await api(h, owner.apiKey, 'GET', '/api/channels');
  // one channel: the account email, at the account address
  assert.is(list.json.channels.length, 1);
  const account = list.json.channels[0];
  assert.equal([account.kind, account.is_account, account.target, account.bots, account.enabled], ['email', true, owner.user.email, 'all', true]);
  const removed = await api(h, owner.apiKey, 'DELETE', `/api/channels/${account.id}`);
  // refused, with the way out
  assert.is(removed.status, 400);
  assert.match(removed.json.message, /disable it instead/);
});

test('a webhook secret is shown once at creation and its URL only masked afterwards', async (ctx) => {
  const { owner, channel, secret } = await ownerWithWebhook(ctx);
  // whsec_ and 32 random bytes
  assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  // the path, which often carries a token, is hidden
  assert.is(channel.target, `http://127.0.0.1:${ctx.hook.port}/…path`);
  const read = await api(ctx.h, owner.apiKey, 'GET', `/api/channels/${channel.id}`);
  // no secret when read back
  assert.is(read.json.secret, undefined);
  assert.not.match(JSON.stringify(read.json), /whsec_|secret-path/);
});

test('refuses bad input with messages that say what to fix', async ({ h }) => {
  const owner = await createOwner(h.db);
  const other = await createOwner(h.db);
  const { bot } = await h.connectedBot(other.user.id, 'Not yours');
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ kind: 'pager', name: 'x', target: 'x' }, /kind/],
    [{ kind: 'email', name: 'Client', target: 'not-an-address' }, /email address/],
    [{ kind: 'webhook', name: 'Hook', target: 'ftp://example.com/x' }, /http or https/],
    [{ kind: 'slack', name: 'Team', target: 'https://hooks.slack.com/services/T/B/x', escalate_after: '5s' }, /between 1m and 7d/],
    [{ kind: 'email', name: 'Client', target: 'client@example.com', bots: [bot.id] }, /no bot of yours/],
  ];
  for (const [body, message] of cases) {
    const answer = await api(h, owner.apiKey, 'POST', '/api/channels', body);
    // 400 naming the problem
    assert.is(answer.status, 400, JSON.stringify(body));
    assert.match(answer.json.message, message);
  }
});

test("owner B can neither see nor use owner A's channels", async (ctx) => {
  const { channel } = await ownerWithWebhook(ctx);
  const b = await createOwner(ctx.h.db);
  const list = await api(ctx.h, b.apiKey, 'GET', '/api/channels');
  // B sees only B's own account email
  assert.equal(list.json.channels.map((c: { is_account: boolean }) => c.is_account), [true]);
  for (const [method, url, body] of [
    ['GET', `/api/channels/${channel.id}`, undefined],
    ['PUT', `/api/channels/${channel.id}`, { name: 'taken over', target: ctx.hook.url('/attacker') }],
    ['POST', `/api/channels/${channel.id}/test`, {}],
    ['DELETE', `/api/channels/${channel.id}`, undefined],
  ] as const) {
    const answer = await api(ctx.h, b.apiKey, method, url, body);
    // 404, as if it did not exist
    assert.is(answer.status, 404, `${method} ${url}`);
  }
  // nothing was sent to A's receiver, and A's channel is unchanged
  assert.is(ctx.hook.received.length, 0);
  const { rows } = await ctx.h.db.query<{ name: string; target: string }>('SELECT name, target FROM alert_channels WHERE id = $1', [channel.id]);
  assert.equal(rows[0], { name: 'Ops hook', target: ctx.hook.url('/hooks/agentdesk-secret-path') });
});

test('a stale site reaches the webhook signed, with its documented body, and the account email too', async (ctx) => {
  const { owner } = await ownerWithWebhook(ctx);
  const { bot } = await ctx.h.connectedBot(owner.user.id, 'Signed shop', 'https://signed.example.com');
  await goStale(ctx.h);
  // one delivery, verified by the receiver with the secret shown at creation
  assert.is(ctx.hook.received.length, 1);
  const got = ctx.hook.received[0]!;
  assert.ok(got.verified);
  // the headers name the event and the delivery
  assert.is(got.headers['x-agentdesk-event'], 'stale');
  assert.is(got.headers['content-type'], 'application/json');
  assert.is(got.headers['x-agentdesk-delivery'], got.body.delivery_id);
  // the body's fields
  assert.equal(Object.keys(got.body).sort(), ['bot', 'dashboard_url', 'delivery_id', 'diagnosis', 'down_seconds', 'event', 'sent_at', 'silent_since', 'site_url', 'status'].sort());
  assert.equal(got.body.bot, { id: bot.id, name: 'Signed shop' });
  assert.is(got.body.status, 'stale');
  assert.is(got.body.site_url, 'https://signed.example.com');
  assert.is(got.body.down_seconds, (STALE_AFTER_MS + MINUTE) / 1000);
  // a changed body no longer verifies
  assert.not.ok(verifySignature(ctx.hook.secret, String(got.headers['x-agentdesk-signature']), got.raw.replace('Signed', 'Forged')));
  // the account email still gets its digest
  assert.is(ctx.smtp.received.length, 1);
  assert.is(ctx.smtp.received[0]!.to, owner.user.email);
});

test('a receiver down for a while, then up, gets the alert once, with one delivery id, across a restart', async (ctx) => {
  const { owner } = await ownerWithWebhook(ctx);
  await ctx.h.connectedBot(owner.user.id, 'Patient shop');
  ctx.hook.answer = 503;
  const first = await goStale(ctx.h);
  // refused, so retried later
  assert.is(first.delivered.retried, 1);
  ctx.h.clock.advance(MINUTE);
  await ctx.h.delivery.deliverDue(ctx.h.clock.now());
  // a second refusal after the backoff
  assert.is(ctx.hook.received.length, 2);
  ctx.hook.answer = 200;
  // a new worker (another instance, or after a restart) picks the row up from the database
  const restarted = createDelivery({ db: ctx.h.db, transport: ctx.h.transport, compose: ctx.h.compose, channels: ctx.h.channels });
  ctx.h.clock.advance(10 * MINUTE);
  await restarted.deliverDue(ctx.h.clock.now());
  ctx.h.clock.advance(60 * MINUTE);
  await ctx.h.sweepAndDeliver();
  // three attempts, accepted once, all with the same delivery id
  assert.is(ctx.hook.received.length, 3);
  assert.is(ctx.hook.accepted().length, 1);
  assert.is(new Set(ctx.hook.received.map((r) => r.headers['x-agentdesk-delivery'])).size, 1);
});

test('a receiver answering 410 disables the channel, and the owner sees it on the channel and the bot', async (ctx) => {
  const { owner, channel } = await ownerWithWebhook(ctx);
  const { bot, token } = await ctx.h.connectedBot(owner.user.id, 'Gone hook shop');
  ctx.hook.answer = 410;
  const result = await goStale(ctx.h);
  // failed at once: no retry of a 410
  assert.is(result.delivered.failed, 1);
  const read = await api(ctx.h, owner.apiKey, 'GET', `/api/channels/${channel.id}`);
  // disabled, with the reason
  assert.is(read.json.enabled, false);
  assert.match(read.json.last_error, /HTTP 410/);
  // the bot's alert history shows the failed delivery
  const mails = await listAlertMailsForBot(ctx.h.db, bot.id);
  assert.ok(mails.some((m) => m.kind === 'stale' && m.status === 'failed' && m.channel_name === 'Ops hook'));
  const browser = await loggedIn(ctx.h.app, owner.user.email, owner.password);
  const activity = await browser.get(`/bots/${bot.id}/activity`);
  // and so does the bot page, naming the channel
  assert.match(activity.body, /· Ops hook<\/td><td class="error">/);
  // a disabled channel gets nothing more: the recovery goes to the account email only
  ctx.hook.answer = 200;
  ctx.h.clock.advance(MINUTE);
  await ctx.h.heartbeat(token);
  await ctx.h.sweepAndDeliver();
  assert.is(ctx.hook.received.length, 1);
  assert.match(ctx.smtp.received.at(-1)!.subject, /again/);
});

test('two instances delivering at the same moment send the webhook once', async (ctx) => {
  const { owner } = await ownerWithWebhook(ctx);
  await ctx.h.connectedBot(owner.user.id, 'Twice shop');
  ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
  await Promise.all([ctx.h.sweep.run(ctx.h.clock.now()), ctx.h.sweep.run(ctx.h.clock.now())]);
  const other = createDelivery({ db: await secondConnection(), transport: ctx.h.transport, compose: ctx.h.compose, channels: ctx.h.channels });
  await Promise.all([ctx.h.delivery.deliverDue(ctx.h.clock.now()), other.deliverDue(ctx.h.clock.now())]);
  // one webhook delivery and one owner mail
  assert.is(ctx.hook.received.length, 1);
  assert.is(ctx.smtp.received.length, 1);
});

test('a channel that announced a stale site gets its reminder a day later', async (ctx) => {
  const { owner } = await ownerWithWebhook(ctx);
  await ctx.h.connectedBot(owner.user.id, 'Long silence');
  await goStale(ctx.h);
  ctx.h.clock.advance(24 * 60 * MINUTE);
  await ctx.h.sweepAndDeliver();
  // stale, then reminder, both verified
  assert.equal(ctx.hook.received.map((r) => [r.body.event, r.verified]), [['stale', true], ['reminder', true]]);
});

test('without PROBE_ALLOW_PRIVATE a webhook to a loopback address is refused by the fence, never contacted', async (ctx) => {
  const { owner, channel } = await ownerWithWebhook(ctx);
  const fenced = createChannelDelivery({
    db: ctx.h.db,
    transport: ctx.h.transport,
    compose: ctx.h.compose,
    requester: createSafeRequester({ allowPrivate: false, extraPorts: [ctx.hook.port], timeoutMs: 5000, userAgent: 'AgentDesk-test' }),
  });
  const row = await claimMail(ctx.h.db, await enqueueChannelTest(ctx.h.db, (await findChannel(ctx.h.db, owner.user.id, channel.id))!, ctx.h.clock.now()), ctx.h.clock.now(), 60_000);
  const result = await fenced.deliver(row!, ctx.h.clock.now());
  // failed for good, in words, and nothing reached the receiver
  assert.is(result.outcome, 'failed');
  assert.is(result.error, 'not sent: the address is in a loopback range');
  assert.is(ctx.hook.received.length, 0);
  const read = await api(ctx.h, owner.apiKey, 'GET', `/api/channels/${channel.id}`);
  // the API says which rule refused, never the address
  assert.match(read.json.last_error, /loopback range/);
  assert.not.match(read.json.last_error, /127\.0\.0\.1/);
});

test('with the account email disabled only the webhook is told, of the stale site and of its recovery', async (ctx) => {
  const { owner } = await ownerWithWebhook(ctx);
  const account = (await api(ctx.h, owner.apiKey, 'GET', '/api/channels')).json.channels.find((c: { is_account: boolean }) => c.is_account);
  const off = await api(ctx.h, owner.apiKey, 'PUT', `/api/channels/${account.id}`, { enabled: false });
  assert.is(off.json.enabled, false);
  const { token } = await ctx.h.connectedBot(owner.user.id, 'Webhook only');
  await goStale(ctx.h);
  ctx.h.clock.advance(5 * MINUTE);
  await ctx.h.heartbeat(token);
  await ctx.h.sweepAndDeliver();
  // no mail at all; the webhook got both events
  assert.is(ctx.smtp.received.length, 0);
  assert.equal(ctx.hook.received.map((r) => [r.body.event, r.body.status]), [['stale', 'stale'], ['recovered', 'connected']]);
  // down from the last heartbeat to the recovery
  assert.is(ctx.hook.received[1]!.body.down_seconds, (STALE_AFTER_MS + 6 * MINUTE) / 1000);
});

test('a storm holds channel rows like owner mails, then releases only the sites still stale', async (ctx) => {
  // its own harness with a small storm threshold: 2 of 3 bots going silent at once is a storm
  const h = await createAlertHarness({
    db: ctx.h.db,
    smtp: ctx.smtp,
    env: { STORM_MIN: '2', PROBE_ALLOW_PRIVATE: 'true', PROBE_PORTS: String(ctx.hook.port) },
  });
  try {
    h.clock.set(ctx.h.clock.now());
    const { owner } = await ownerWithWebhook({ ...ctx, h });
    const bots = [];
    for (const name of ['Steady', 'Back soon', 'Gone']) bots.push(await h.connectedBot(owner.user.id, name));
    h.clock.advance(8 * MINUTE);
    await h.heartbeat(bots[0]!.token);
    h.clock.advance(3 * MINUTE);
    const storm = await h.sweepAndDeliver();
    // a storm: the owner mail and both webhook rows are held
    assert.is(storm.storm, true);
    assert.is(ctx.hook.received.length, 0);
    const held = await h.db.query<{ count: number }>("SELECT count(*)::int AS count FROM alert_outbox WHERE channel_id IS NOT NULL AND status = 'held'");
    assert.is(held.rows[0]!.count, 2);
    // the fault is fixed: one of the two reports again, the other stays silent
    for (let i = 0; i < 2; i++) {
      h.clock.advance(5 * MINUTE);
      await h.heartbeat(bots[0]!.token);
      await h.heartbeat(bots[1]!.token);
    }
    h.clock.advance(MINUTE);
    const end = await h.sweepAndDeliver();
    // released: the webhook hears only of the site still stale
    assert.is(end.incidentClosed, true);
    assert.equal(ctx.hook.received.map((r) => [r.body.event, (r.body.bot as { name: string }).name]), [['stale', 'Gone']]);
  } finally {
    await h.close();
  }
});

test('an escalation waits its time and goes out only while the site is still stale', async (ctx) => {
  const { owner } = await ownerWithWebhook(ctx, { escalate_after: '30m' });
  await ctx.h.connectedBot(owner.user.id, 'Escalated shop');
  await goStale(ctx.h);
  // the account email at once, the escalation channel not yet
  assert.is(ctx.smtp.received.length, 1);
  assert.is(ctx.hook.received.length, 0);
  ctx.h.clock.advance(29 * MINUTE);
  await ctx.h.sweepAndDeliver();
  // still waiting after 29 minutes
  assert.is(ctx.hook.received.length, 0);
  ctx.h.clock.advance(2 * MINUTE);
  await ctx.h.sweepAndDeliver();
  // escalated once the 30 minutes passed with the site still silent
  assert.is(ctx.hook.accepted().length, 1);
  assert.is(ctx.hook.received[0]!.body.event, 'stale');
});

test('no escalation when the site recovers first, and no recovery on that channel either', async (ctx) => {
  const { owner } = await ownerWithWebhook(ctx, { escalate_after: '30m' });
  const { token } = await ctx.h.connectedBot(owner.user.id, 'Quick comeback');
  await goStale(ctx.h);
  ctx.h.clock.advance(10 * MINUTE);
  const back = await ctx.h.heartbeat(token);
  assert.is(back.statusCode, 200);
  await ctx.h.sweepAndDeliver();
  // well past the escalation time, the site reporting all along
  for (let i = 0; i < 4; i++) {
    ctx.h.clock.advance(9 * MINUTE);
    await ctx.h.heartbeat(token);
    await ctx.h.sweepAndDeliver();
  }
  // the owner got the stale and the recovery mails; the escalation channel nothing at all
  assert.equal(ctx.smtp.received.map((m) => m.subject.includes('again')), [false, true]);
  assert.is(ctx.hook.received.length, 0);
  const { rows } = await ctx.h.db.query<{ status: string; last_error: string }>("SELECT status, last_error FROM alert_outbox WHERE channel_id IS NOT NULL");
  // its row was dropped, saying why
  assert.equal(rows, [{ status: 'dropped', last_error: 'every site recovered before the escalation time' }]);
});

test('Slack gets one Block Kit message per digest, with a text fallback', async (ctx) => {
  const owner = await createOwner(ctx.h.db);
  const created = await api(ctx.h, owner.apiKey, 'POST', '/api/channels', { kind: 'slack', name: '#ops', target: ctx.slack.url('/services/T000/B000/XXXX') });
  assert.is(created.status, 201);
  // no secret for Slack
  assert.is(created.json.secret, undefined);
  for (const name of ['Slack one', 'Slack two']) await ctx.h.connectedBot(owner.user.id, name);
  await goStale(ctx.h);
  // one message for both sites
  assert.is(ctx.slack.accepted().length, 1);
  const message = ctx.slack.received[0]!.body as { text: string; blocks: Array<{ type: string; text?: { text: string } }> };
  assert.match(message.text, /2 sites stopped reporting.*Slack one, Slack two/);
  assert.is(message.blocks[0]!.type, 'header');
  assert.is(message.blocks.filter((b) => b.type === 'section').length, 2);
});

test("Slack's answers: 429 waits its Retry-After, 400 is retried, 404 and 410 disable the channel", async (ctx) => {
  const owner = await createOwner(ctx.h.db);
  const created = await api(ctx.h, owner.apiKey, 'POST', '/api/channels', { kind: 'slack', name: '#ops', target: ctx.slack.url('/services/T/B/X') });
  const id = created.json.channel.id;
  // one test a minute per channel (docs/alerts.md): each press a minute after the last
  const test = async () => {
    ctx.h.clock.advance(MINUTE);
    return (await api(ctx.h, owner.apiKey, 'POST', `/api/channels/${id}/test`, {})).json;
  };

  ctx.slack.mode = 'rate_limited';
  const limited = await test();
  // retried, and not before Retry-After (120 s) although the first backoff is 30 s
  assert.is(limited.result, 'retry');
  const { rows } = await ctx.h.db.query<{ next_attempt_at: Date }>("SELECT next_attempt_at FROM alert_outbox WHERE kind = 'test' ORDER BY id DESC LIMIT 1");
  assert.is(rows[0]!.next_attempt_at.getTime() - ctx.h.clock.now().getTime(), 120_000);

  ctx.slack.mode = 'invalid_payload';
  const invalid = await test();
  // a 400 is retried, not failed at once
  assert.is(invalid.result, 'retry');
  assert.match(invalid.message, /HTTP 400 invalid_payload/);

  for (const mode of ['no_service', 'channel_is_archived'] as const) {
    await api(ctx.h, owner.apiKey, 'PUT', `/api/channels/${id}`, { enabled: true });
    ctx.slack.mode = mode;
    const gone = await test();
    // failed, and the channel turned off with Slack's word for it
    assert.is(gone.result, 'failed');
    const read = await api(ctx.h, owner.apiKey, 'GET', `/api/channels/${id}`);
    assert.is(read.json.enabled, false);
    assert.match(read.json.last_error, new RegExp(mode));
  }
});

test('a confirmed email contact gets the digest at its own address, without the owner unsubscribe header', async ({ h, smtp }) => {
  const owner = await createOwner(h.db);
  await api(h, owner.apiKey, 'POST', '/api/channels', { kind: 'email', name: 'Client', target: 'Client@Example.com' });
  await confirmContact(h, smtp, 'client@example.com');
  await h.connectedBot(owner.user.id, 'Client site');
  await goStale(h);
  // two mails: the owner's and the contact's
  assert.equal(smtp.received.map((m) => m.to).sort(), ['client@example.com', owner.user.email].sort());
  const contact = smtp.received.find((m) => m.to === 'client@example.com')!;
  // the site's name is in the body, never in the subject
  assert.is(contact.subject, 'A site stopped reporting to AgentDesk');
  assert.match(contact.text, /Client site/);
  assert.is(contact.header('List-Unsubscribe'), undefined);
  // nor the owner's unsubscribe link in the body; the owner's own mail keeps it
  assert.not.match(contact.text, /alerts\/unsubscribe/);
  assert.match(smtp.received.find((m) => m.to === owner.user.email)!.text, /Stop these emails: https:\/\/desk\.example\.test\/alerts\/unsubscribe/);
});

test('"Send a test" goes through the real path: a signed test event, and a test mail to a contact', async (ctx) => {
  const { owner, channel } = await ownerWithWebhook(ctx);
  const answer = await api(ctx.h, owner.apiKey, 'POST', `/api/channels/${channel.id}/test`, {});
  // delivered, and said so
  assert.equal(answer.json, { result: 'sent', message: 'Delivered: the receiver accepted the test.' });
  assert.is(ctx.hook.received[0]!.body.event, 'test');
  assert.ok(ctx.hook.received[0]!.verified);
  const contact = await api(ctx.h, owner.apiKey, 'POST', '/api/channels', { kind: 'email', name: 'Colleague', target: 'colleague@example.com' });
  await confirmContact(ctx.h, ctx.smtp, 'colleague@example.com');
  const mailed = await api(ctx.h, owner.apiKey, 'POST', `/api/channels/${contact.json.channel.id}/test`, {});
  assert.is(mailed.json.result, 'sent');
  assert.is(ctx.smtp.received.length, 1);
  // a fixed subject; the channel's name only in the body
  assert.is(ctx.smtp.received[0]!.subject, 'AgentDesk test alert');
  assert.match(ctx.smtp.received[0]!.text, /"Colleague"/);
});

test('only the bots a channel lists reach it, and the metrics count deliveries per channel kind', async (ctx) => {
  const owner = await createOwner(ctx.h.db);
  const watched = await ctx.h.connectedBot(owner.user.id, 'Watched');
  await ctx.h.connectedBot(owner.user.id, 'Ignored');
  const created = await api(ctx.h, owner.apiKey, 'POST', '/api/channels', { kind: 'webhook', name: 'One bot', target: ctx.hook.url('/one'), bots: [watched.bot.id] });
  ctx.hook.secret = created.json.secret;
  ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
  await ctx.h.sweep.run(ctx.h.clock.now());
  const count = async (labels: string) => {
    const text = await ctx.h.metrics.registry.metrics();
    return Number(new RegExp(`^agentdesk_notifications_total\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  const counted = { webhook: await count('channel_kind="webhook",kind="stale",result="sent"'), email: await count('channel_kind="email",kind="stale",result="sent"') };
  const before = await ctx.h.metrics.registry.metrics();
  // one webhook row waiting, and the unlabelled total still there (owner digest + webhook)
  assert.match(before, /agentdesk_outbox_pending\{channel_kind="webhook"\} 1/);
  assert.match(before, /^agentdesk_outbox_pending 2$/m);
  await ctx.h.delivery.deliverDue(ctx.h.clock.now());
  // only the listed bot reached the webhook
  assert.equal(ctx.hook.received.map((r) => (r.body.bot as { name: string }).name), ['Watched']);
  // one delivery more on each kind, the mail series still counting too
  assert.is(await count('channel_kind="webhook",kind="stale",result="sent"'), counted.webhook + 1);
  assert.is(await count('channel_kind="email",kind="stale",result="sent"'), counted.email + 1);
  assert.match(await ctx.h.metrics.registry.metrics(), /agentdesk_alert_emails_total\{kind="stale",result="sent"\} [1-9]/);
});

test('the dashboard adds a webhook showing its secret once, tests it with htmx, and shows a disabled channel', async (ctx) => {
  const owner = await createOwner(ctx.h.db);
  const page = await loggedIn(ctx.h.app, owner.user.email, owner.password);
  const list = await page.get('/channels');
  // the account email is listed from the start
  assert.is(list.statusCode, 200);
  assert.ok(list.body.includes(owner.user.email));
  const added = await page.post('/channels', { kind: 'webhook', name: 'Dashboard hook', target: ctx.hook.url('/from-dashboard') });
  // created, with the secret on this page only
  assert.is(added.statusCode, 201);
  const secret = /<code class="secret">(whsec_[^<]+)<\/code>/.exec(added.body)?.[1];
  assert.ok(secret);
  ctx.hook.secret = secret!;
  const again = await page.get('/channels');
  assert.not.ok(again.body.includes(secret!));
  const [id] = (await api(ctx.h, owner.apiKey, 'GET', '/api/channels')).json.channels.filter((c: { is_account: boolean }) => !c.is_account).map((c: { id: string }) => c.id);
  const tested = await page.post(`/channels/${id}/test`, {}, { 'hx-request': 'true' });
  // htmx gets the result as a fragment
  assert.match(tested.body, /data-result="sent"/);
  assert.is(ctx.hook.received.length, 1);
  ctx.hook.answer = 410;
  ctx.h.clock.advance(MINUTE);
  const gone = await page.post(`/channels/${id}/test`, {}, { 'hx-request': 'true' });
  assert.match(gone.body, /data-result="failed"/);
  const detail = await page.get(`/channels/${id}`);
  // the channel's page says it is disabled, why, and lists the failed delivery
  assert.match(detail.body, /This channel is disabled: HTTP 410/);
  assert.match(detail.body, /<strong class="error">failed<\/strong>/);
  // limiting it to one bot from its page
  const { bot } = await ctx.h.connectedBot(owner.user.id, 'Only this one');
  await ctx.h.connectedBot(owner.user.id, 'Not this one');
  await page.get(`/channels/${id}`);
  const limited = await page.post(`/channels/${id}`, { name: 'Dashboard hook', covers: 'some', [`bot_${bot.id}`]: 'on', enabled: 'on' });
  assert.is(limited.statusCode, 200);
  assert.equal((await api(ctx.h, owner.apiKey, 'GET', `/api/channels/${id}`)).json.bots, [bot.id]);
  const none = await page.post(`/channels/${id}`, { name: 'Dashboard hook', covers: 'some', enabled: 'on' });
  // no bot ticked: refused with the reason
  assert.is(none.statusCode, 400);
  assert.match(none.body, /bots must be/);
  // another owner's session gets a 404 for it
  const other = await createOwner(ctx.h.db);
  const stranger = await loggedIn(ctx.h.app, other.user.email, other.password);
  assert.is((await stranger.get(`/channels/${id}`)).statusCode, 404);
  await stranger.get('/channels');
  assert.is((await stranger.post(`/channels/${id}/test`, {}, { 'hx-request': 'true' })).statusCode, 404);
  assert.is(ctx.hook.received.length, 2);
});

test.run();
