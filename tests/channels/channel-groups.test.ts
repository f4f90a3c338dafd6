// ALERT_GROUP_WINDOW on channels (docs/alerts.md "Alert groups"): a burst of an owner's sites spread over a few
// minutes is one message on each digest channel (Slack, email contacts), as it is one account mail;
// webhooks still get one event per site. Real database, real local Slack and webhook receivers, the
// in-process SMTP server; the sweep (two bots per transaction) and delivery run once a minute on an
// explicit clock, heartbeats between them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import {
  at,
  confirmContact,
  createAlertHarness,
  names,
  receiverEnv,
  runUntil,
  spreadBots,
  STALE_AFTER_MS,
  steadyBeats,
  stormScene,
  useChannelSuite,
  type AlertHarness,
  type ChannelSuiteCtx,
} from '../alerts/alert-harness.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const WINDOW_MS = 5 * MINUTE;

type Ctx = ChannelSuiteCtx;
const test = suite<Ctx>('channel groups: one message per burst on every digest channel');

/** The suite's settings; a test may change the window. SWEEP_BATCH=2 puts one sweep's flips in several transactions. */
const groupEnv = (window: string) => ({ ALERT_GROUP_WINDOW: window, SWEEP_BATCH: '2' });

useChannelSuite(test, groupEnv('5m'));
test.before.each(({ h }) => {
  // sweeps fall at second 1 of each minute: start at 10:00:01
  h.clock.set(new Date('2026-01-05T10:00:01Z'));
});

/** An owner (with an API key) and the channels they add through the API. */
async function ownerWith(ctx: Ctx, channels: Array<Record<string, unknown>>) {
  const owner = await createOwner(ctx.h.db);
  const created: Array<Record<string, any>> = [];
  for (const channel of channels) {
    const response = await ctx.h.app.inject({
      method: 'POST',
      url: '/api/channels',
      headers: { authorization: `Bearer ${owner.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify(channel),
    });
    assert.is(response.statusCode, 201, response.body);
    created.push(response.json());
    // an email contact receives alerts once its address confirmed
    if (channel.kind === 'email') await confirmContact(ctx.h, ctx.smtp, String(channel.target));
  }
  return { owner: owner.user, created };
}

const slackChannel = (ctx: Ctx, extra: Record<string, unknown> = {}) => ({ kind: 'slack', name: '#ops', target: ctx.slack.url('/services/T0/B0/X0'), ...extra });
const contact = { kind: 'email', name: 'Colleague', target: 'colleague@example.com' };
/** The fallback text of each message Slack accepted (it lists every site by name). */
const slackTexts = (ctx: Ctx) => ctx.slack.accepted().map((r) => String(r.body.text));
const staleTexts = (ctx: Ctx) => slackTexts(ctx).filter((t) => /stopped reporting/.test(t));
const recoveryTexts = (ctx: Ctx) => slackTexts(ctx).filter((t) => /reporting to AgentDesk again/.test(t));

test('announces 20 sites spread over the window in one Slack message naming all 20, and their return in one', async (ctx) => {
  const { h } = ctx;
  const { owner } = await ownerWith(ctx, [slackChannel(ctx)]);
  const start = h.clock.now();
  // last heartbeats one every 15 s: deadlines over 4 min 45 s, judged by five sweeps of two or three transactions
  const bots = await spreadBots(h, owner.id, names('Site', 20), WINDOW_MS / 20);
  await runUntil([h], at(start, STALE_AFTER_MS + 2 * MINUTE));
  // the group is open: nothing on Slack yet, one held row for the channel
  assert.is(ctx.slack.received.length, 0);
  const [channelId] = await channelIds(h, owner.id);
  const { rows: open } = await h.db.query<{ group_key: string; status: string }>('SELECT group_key, status FROM alert_outbox WHERE channel_id IS NOT NULL');
  assert.equal(open, [{ group_key: `stale:ch:${channelId}`, status: 'held' }]);
  // the channel's page says when it goes out: five minutes after its first decision
  const browser = await loggedIn(h.app, owner.email, 'correct horse battery');
  assert.match((await browser.get(`/channels/${channelId}`)).body, /gathering sites, will be sent at [^<]*10:16/);

  await runUntil([h], at(start, STALE_AFTER_MS + 10 * MINUTE));
  // exactly one stale message, naming all 20
  assert.is(staleTexts(ctx).length, 1);
  assert.match(staleTexts(ctx)[0]!, /^20 sites stopped reporting to AgentDesk: /);
  for (const { bot } of bots) assert.ok(staleTexts(ctx)[0]!.includes(bot.name), bot.name);

  // they come back one every 15 s
  const back = h.clock.now();
  await runUntil([h], at(back, 9 * MINUTE), bots.map((b, i) => ({ at: at(back, i * 15 * SECOND), token: b.token })));
  // one recovery message naming all 20, and nothing else on Slack
  assert.is(recoveryTexts(ctx).length, 1);
  assert.match(recoveryTexts(ctx)[0]!, /^20 sites are reporting to AgentDesk again: /);
  for (const { bot } of bots) assert.ok(recoveryTexts(ctx)[0]!.includes(bot.name), bot.name);
  assert.is(ctx.slack.received.length, 2);
});

test('puts the sites of one sweep flipped in two transactions into one message per channel', async (ctx) => {
  const { h } = ctx;
  const { owner } = await ownerWith(ctx, [slackChannel(ctx)]);
  await spreadBots(h, owner.id, names('Shop', 4), SECOND);
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  const result = await h.sweepAndDeliver();
  // four flips in two transactions of two
  assert.equal([result.flipped, result.flipBatches], [4, 2]);
  // one Slack message with all four (sent at once: no site of the owner is left to join)
  assert.is(staleTexts(ctx).length, 1);
  assert.match(staleTexts(ctx)[0]!, /^4 sites stopped reporting to AgentDesk: Shop 01, Shop 02, Shop 03, Shop 04$/);
});

test('never mentions on a channel a site that reports again inside the window, while the others are announced', async (ctx) => {
  const { h } = ctx;
  const { owner } = await ownerWith(ctx, [slackChannel(ctx), contact]);
  const start = h.clock.now();
  // "Flaky" falls silent first and opens the groups; "Down" two minutes later; "Steady" keeps reporting
  const [flaky] = await spreadBots(h, owner.id, ['Flaky', 'Down'], 2 * MINUTE);
  const steady = await h.connectedBot(owner.id, 'Steady');
  // Flaky reports again two minutes after it was judged stale, before the windows close, and keeps reporting
  const flakyBeats = Array.from({ length: 6 }, (_, i) => ({ at: at(start, STALE_AFTER_MS + 3 * MINUTE + i * 4 * MINUTE), token: flaky!.token }));
  await runUntil([h], at(start, STALE_AFTER_MS + 20 * MINUTE), [...steadyBeats(steady.token, start, 12), ...flakyBeats]);
  // Slack: one message, about Down only, and no recovery ever
  assert.equal(slackTexts(ctx), ['A site stopped reporting to AgentDesk: Down']);
  // email: one mail to the owner and one to the contact, both about Down only
  assert.equal(ctx.smtp.received.map((m) => m.to).sort(), ['colleague@example.com', owner.email].sort());
  for (const mail of ctx.smtp.received) {
    assert.is(mail.subject, 'A site stopped reporting to AgentDesk');
    assert.ok(mail.text.includes('Down'));
    assert.not.ok(mail.text.includes('Flaky'));
  }
});

test('tells the account email a site is back when its mail went out, though the channel that had not sent yet never hears of it', async (ctx) => {
  const { h } = ctx;
  const owner = await createOwner(h.db);
  const start = h.clock.now();
  // Slack covers Late only; the account email covers all: its group opens with Early, Slack's with Late
  const [, late] = await spreadBots(h, owner.user.id, ['Early', 'Late'], 2 * MINUTE);
  const steady = await h.connectedBot(owner.user.id, 'Steady');
  const created = await h.app.inject({
    method: 'POST',
    url: '/api/channels',
    headers: { authorization: `Bearer ${owner.apiKey}`, 'content-type': 'application/json' },
    payload: JSON.stringify(slackChannel(ctx, { bots: [late!.bot.id] })),
  });
  assert.is(created.statusCode, 201, created.body);
  // Early is judged at 10:11:01 (account group until 10:16:01), Late at 10:13:01 (Slack group until 10:18:01);
  // Late reports again at 10:17:01, after the account mail went out and before Slack's window closed
  const lateBeats = Array.from({ length: 4 }, (_, i) => ({ at: at(start, STALE_AFTER_MS + 7 * MINUTE + i * 4 * MINUTE), token: late!.token }));
  await runUntil([h], at(start, STALE_AFTER_MS + 20 * MINUTE), [...steadyBeats(steady.token, start, 12), ...lateBeats]);
  // Slack never heard of Late
  assert.is(ctx.slack.received.length, 0);
  // the account email: both sites stale, then Late back
  assert.equal(
    ctx.smtp.received.map((m) => m.subject),
    ['2 of your sites stopped reporting to AgentDesk', 'A site is reporting to AgentDesk again'],
  );
});

test('with ALERT_GROUP_WINDOW=0 a channel still gets one message per sweep', async (ctx) => {
  const h = await createAlertHarness({ db: ctx.h.db, clock: ctx.h.clock, smtp: ctx.smtp, env: { ...receiverEnv(ctx), ...groupEnv('0') } });
  try {
    const { owner } = await ownerWith({ ...ctx, h }, [slackChannel(ctx)]);
    const start = h.clock.now();
    // deadlines a minute apart: three sweeps judge one each
    await spreadBots(h, owner.id, names('Site', 3), MINUTE);
    await runUntil([h], at(start, STALE_AFTER_MS + 10 * MINUTE));
    // three Slack messages, one site each, as before groups
    assert.equal(staleTexts(ctx), ['Site 01', 'Site 02', 'Site 03'].map((name) => `A site stopped reporting to AgentDesk: ${name}`));
  } finally {
    await h.close();
  }
});

test('sends webhooks one event per site at the sweep that judged it, while Slack waits for the group', async (ctx) => {
  const { h } = ctx;
  const { owner, created } = await ownerWith(ctx, [{ kind: 'webhook', name: 'Ops hook', target: ctx.hook.url('/hooks/agentdesk') }, slackChannel(ctx)]);
  ctx.hook.secret = created[0]!.secret;
  const start = h.clock.now();
  const bots = await spreadBots(h, owner.id, names('Site', 3), MINUTE);
  const steady = await h.connectedBot(owner.id, 'Steady');
  await runUntil([h], at(start, STALE_AFTER_MS + MINUTE), steadyBeats(steady.token, start, 12));
  // the first site judged at 10:11:01: its webhook event is out, Slack's group is open
  assert.equal(ctx.hook.accepted().map((r) => (r.body.bot as { name: string }).name), ['Site 01']);
  assert.is(ctx.slack.received.length, 0);
  await runUntil([h], at(start, STALE_AFTER_MS + 10 * MINUTE), steadyBeats(steady.token, start, 12).filter((b) => b.at > h.clock.now()));
  // three signed webhook events, one per site, and one Slack message naming the three
  assert.equal(ctx.hook.accepted().map((r) => (r.body.bot as { name: string }).name), bots.map((b) => b.bot.name));
  assert.ok(ctx.hook.received.every((r) => r.verified));
  assert.equal(staleTexts(ctx), ['3 sites stopped reporting to AgentDesk: Site 01, Site 02, Site 03']);
});

test('gives each of two channels of one owner one message for the burst, and the account email one mail', async (ctx) => {
  const { h } = ctx;
  const { owner } = await ownerWith(ctx, [slackChannel(ctx), contact]);
  const start = h.clock.now();
  const bots = await spreadBots(h, owner.id, names('Site', 6), 40 * SECOND);
  const steady = await h.connectedBot(owner.id, 'Steady');
  await runUntil([h], at(start, STALE_AFTER_MS + 12 * MINUTE), steadyBeats(steady.token, start, 12));
  // Slack: one message naming the six
  assert.is(staleTexts(ctx).length, 1);
  for (const { bot } of bots) assert.ok(staleTexts(ctx)[0]!.includes(bot.name), bot.name);
  // email: one mail to the contact and one to the owner, each naming the six
  assert.equal(ctx.smtp.received.map((m) => m.to).sort(), ['colleague@example.com', owner.email].sort());
  for (const mail of ctx.smtp.received) {
    assert.is(mail.subject, '6 of your sites stopped reporting to AgentDesk');
    for (const { bot } of bots) assert.ok(mail.text.includes(bot.name), `${mail.to}: ${bot.name}`);
  }
});

test('holds a channel group during a storm incident, lets later sites join it, and sends it once when the incident ends', async (ctx) => {
  const h = await createAlertHarness({ db: ctx.h.db, clock: ctx.h.clock, smtp: ctx.smtp, env: { ...receiverEnv(ctx), ...groupEnv('5m'), STORM_MIN: '4' } });
  try {
    const { owner } = await ownerWith({ ...ctx, h }, [slackChannel(ctx)]);
    // six sites of one owner fall silent together (a storm), a seventh two minutes later
    const { start, together, late, beats } = await stormScene(h, owner.id);
    await runUntil([h], at(start, STALE_AFTER_MS + 5 * MINUTE), beats);
    // held during the incident: nothing on Slack, one held row for the channel with all seven sites
    assert.is(ctx.slack.received.length, 0);
    const { rows } = await h.db.query<{ status: string; incident: boolean; sites: number }>(
      "SELECT status, incident_id IS NOT NULL AS incident, jsonb_array_length(payload->'sites') AS sites FROM alert_outbox WHERE channel_id IS NOT NULL",
    );
    assert.equal(rows, [{ status: 'held', incident: true, sites: 7 }]);
    await runUntil([h], at(start, STALE_AFTER_MS + 30 * MINUTE), beats.filter((b) => b.at > h.clock.now()));
    // the incident ended and released one message naming all seven
    assert.is(staleTexts(ctx).length, 1);
    for (const { bot } of [...together, late]) assert.ok(staleTexts(ctx)[0]!.includes(bot.name), bot.name);
    assert.is(ctx.slack.received.length, 1);
  } finally {
    await h.close();
  }
});

test('keeps a stale alert on a channel that escalates out of groups: due escalate_after after each sweep that judged a site', async (ctx) => {
  const { h } = ctx;
  const { owner } = await ownerWith(ctx, [slackChannel(ctx, { escalate_after: '30m' })]);
  const start = h.clock.now();
  await spreadBots(h, owner.id, names('Site', 2), MINUTE);
  const steady = await h.connectedBot(owner.id, 'Steady');
  await runUntil([h], at(start, STALE_AFTER_MS + 3 * MINUTE), steadyBeats(steady.token, start, 20));
  // one pending escalation per sweep that judged a site, each due 30 minutes after it, in no group
  const { rows } = await h.db.query<{ status: string; group_key: string | null; due: Date }>(
    'SELECT status, group_key, next_attempt_at AS due FROM alert_outbox WHERE channel_id IS NOT NULL ORDER BY id',
  );
  assert.equal(rows, [
    { status: 'pending', group_key: null, due: new Date('2026-01-05T10:41:01Z') },
    { status: 'pending', group_key: null, due: new Date('2026-01-05T10:42:01Z') },
  ]);
});

async function channelIds(h: AlertHarness, ownerId: string): Promise<string[]> {
  const { rows } = await h.db.query<{ id: string }>('SELECT id FROM alert_channels WHERE user_id = $1 AND NOT is_account ORDER BY created_at, id', [ownerId]);
  return rows.map((row) => row.id);
}

test.run();
