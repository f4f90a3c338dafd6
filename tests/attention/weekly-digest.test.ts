// The weekly "needs attention" digest (docs/attention.md, "The weekly digest"): one mail per owner
// and week through the outbox to a real SMTP server, "still" when nothing changed, opt-outs per
// kind, the `attention` event only on channels that switched it on, the owner's day, hour and time
// zone, and one decision per week across two instances. Time moves by the harness clock.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { createDigestJob } from '../../src/attention/digest-job.ts';
import { parsePluginHeader } from '../../src/domain/plugin-metadata.ts';
import { createBotFor, createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import { ownerApi, secondConnection, useChannelSuite, type ChannelSuiteCtx } from '../alerts/alert-harness.ts';

/** The plugin release the service serves: the version in the plugin's own header. */
const SERVED = parsePluginHeader(fs.readFileSync(new URL('../../wordpress-plugin/agentdesk-chatbot.php', import.meta.url), 'utf8')).Version!;

const DAY = 86_400_000;
type Ctx = ChannelSuiteCtx;
const test = suite<Ctx>('weekly attention digest: once a week, new or still, through the outbox');

useChannelSuite(test);

// A site on PHP 7.4 (support ended 2022) in a staging environment, on an older plugin than the one served.
const troubled = {
  plugin_version: '1.1.0',
  wp_version: '6.9.1',
  php_version: '7.4.33',
  cron: { mode: 'wp-cron', overdue_events: 0, oldest_overdue_seconds: 0 },
  environment: 'staging',
  multisite: false,
};

/** An owner in Berlin (default digest: Monday 09:00 local) with one troubled site. */
async function ownerWithTroubledSite(ctx: Ctx, timezone = 'Europe/Berlin') {
  const owner = await createOwner(ctx.h.db, { timezone });
  const { bot, token } = await createBotFor(ctx.h.db, owner.user.id, { name: 'Shop' });
  const beat = async () => assert.is((await ctx.h.heartbeat(token, troubled)).statusCode, 200);
  await beat();
  return { owner, bot, beat };
}

const jobOf = (ctx: Ctx) => createDigestJob({ db: ctx.h.db, attention: ctx.h.app.attention });

async function digestRows(ctx: Ctx) {
  const { rows } = await ctx.h.db.query<{ dedupe_key: string; channel_id: string | null; status: string }>(
    "SELECT dedupe_key, channel_id, status FROM alert_outbox WHERE kind = 'attention' ORDER BY id",
  );
  return rows;
}

test('one mail per week: new items first, and the next week with nothing changed says "still"', async (ctx) => {
  const { h, smtp } = ctx;
  const { owner, beat } = await ownerWithTroubledSite(ctx);
  const job = jobOf(ctx);
  // Monday 2026-01-05 10:00 UTC is 11:00 in Berlin: this week's digest (09:00) is due
  const first = await job.run(h.clock.now());
  assert.equal(first, { decided: 1, mails: 1, events: 0 });
  // later runs the same day decide nothing more
  h.clock.advance(60 * 60_000);
  assert.equal(await job.run(h.clock.now()), { decided: 0, mails: 0, events: 0 });
  await h.delivery.deliverDue(h.clock.now());
  assert.is(smtp.received.length, 1);
  const mail = smtp.received[0]!;
  assert.is(mail.to, owner.user.email);
  assert.is(mail.subject, 'Your sites need attention: 3 new');
  assert.match(mail.text, /NEW SINCE YOUR LAST DIGEST/);
  assert.match(mail.text, /PHP 7\.4\.33 stopped getting security fixes/);
  assert.match(mail.text, /"staging" environment/);
  // the plugin release served (the plugin's header) is named to the owner of an older site
  assert.ok(mail.text.includes(`AgentDesk plugin ${SERVED} is available: one of your sites runs an older version`), mail.text);
  assert.not.match(mail.text, /STILL OPEN/);
  assert.ok(mail.header('list-unsubscribe'), 'the owner can unsubscribe in one click');

  // a week later, the same site still reports the same facts
  h.clock.advance(7 * DAY - 60 * 60_000);
  await beat();
  assert.equal(await job.run(h.clock.now()), { decided: 1, mails: 1, events: 0 });
  await h.delivery.deliverDue(h.clock.now());
  assert.is(smtp.received.length, 2);
  const second = smtp.received[1]!;
  assert.is(second.subject, 'Still needing attention on your sites: 3 items');
  assert.match(second.text, /Nothing new this week, but these are still open/);
  assert.match(second.text, /STILL OPEN/);
  assert.not.match(second.text, /NEW SINCE YOUR LAST DIGEST/);
});

test('an item that appears during the week is new beside the ones still open', async (ctx) => {
  const { h, smtp } = ctx;
  const { bot } = await ownerWithTroubledSite(ctx);
  const job = jobOf(ctx);
  await job.run(h.clock.now());
  h.clock.advance(7 * DAY);
  // WP-Cron is now switched off as well
  await h.db.query("UPDATE bots SET wordpress_cron_mode = 'disabled', wordpress_cron_mode_since = $2 WHERE id = $1", [bot.id, h.clock.now()]);
  await h.db.query('UPDATE bot_liveness SET last_activity = $2 WHERE bot_id = $1', [bot.id, h.clock.now()]);
  await job.run(h.clock.now());
  await h.delivery.deliverDue(h.clock.now());
  const second = smtp.received[1]!;
  assert.is(second.subject, 'Your sites need attention: 1 new, 3 still open');
  assert.match(second.text, /NEW SINCE YOUR LAST DIGEST\n\n\* Shop[^\n]*\n  - WP-Cron turned off/);
});

test('a kind the owner opted out of is never mentioned; nothing left to tell means no mail', async (ctx) => {
  const { h, smtp } = ctx;
  const { owner } = await ownerWithTroubledSite(ctx);
  const put = await ownerApi(h, owner.apiKey, 'PUT', '/api/attention/digest', { off: ['not_production', 'plugin_outdated'] });
  assert.is(put.status, 200, JSON.stringify(put.json));
  assert.equal(put.json.off, ['plugin_outdated', 'not_production']);
  await jobOf(ctx).run(h.clock.now());
  await h.delivery.deliverDue(h.clock.now());
  assert.is(smtp.received.length, 1);
  assert.is(smtp.received[0]!.subject, 'Your sites need attention: 1 new');
  assert.not.match(smtp.received[0]!.text, /staging|plugin 1\.2\.0/);

  // opting out of the last kind that holds: the next week is decided, and no mail is queued
  await ownerApi(h, owner.apiKey, 'PUT', '/api/attention/digest', { off: ['not_production', 'plugin_outdated', 'php_unsupported'] });
  h.clock.advance(7 * DAY);
  assert.equal(await jobOf(ctx).run(h.clock.now()), { decided: 1, mails: 0, events: 0 });
  assert.is((await digestRows(ctx)).length, 1);
});

test('the mail\'s one-click link for a kind stops the digest mentioning it (GET asks, POST acts)', async (ctx) => {
  const { h, smtp } = ctx;
  const { owner, beat } = await ownerWithTroubledSite(ctx);
  await jobOf(ctx).run(h.clock.now());
  await h.delivery.deliverDue(h.clock.now());
  const link = /Not a production environment: (https?:\/\/\S+\/alerts\/attention-off\?t=\S+)/.exec(smtp.received[0]!.text)?.[1];
  assert.ok(link, 'one link per kind listed');
  const url = new URL(link!);
  const path = `${url.pathname}${url.search}`;
  // a mail scanner's GET changes nothing
  const asked = await h.app.inject({ method: 'GET', url: path });
  assert.is(asked.statusCode, 200);
  assert.match(asked.body, /Stop mentioning &quot;Not a production environment&quot;/);
  assert.equal((await ownerApi(h, owner.apiKey, 'GET', '/api/attention/digest')).json.off, []);
  // the button's POST opts out, and a second POST is harmless
  for (let i = 0; i < 2; i++) assert.is((await h.app.inject({ method: 'POST', url: path })).statusCode, 200);
  assert.equal((await ownerApi(h, owner.apiKey, 'GET', '/api/attention/digest')).json.off, ['not_production']);
  // a link whose claims were altered is refused
  const forged = path.replace(/t=[^.]+/, (t) => t.slice(0, -2) + (t.endsWith('A') ? 'B' : 'A'));
  assert.is((await h.app.inject({ method: 'POST', url: forged })).statusCode, 400);

  h.clock.advance(7 * DAY);
  await beat();
  await jobOf(ctx).run(h.clock.now());
  await h.delivery.deliverDue(h.clock.now());
  assert.is(smtp.received.length, 2);
  assert.not.match(smtp.received[1]!.text, /staging/);
  assert.is(smtp.received[1]!.subject, 'Still needing attention on your sites: 2 items');
});

test('the settings API names the field it refuses', async (ctx) => {
  const { owner } = await ownerWithTroubledSite(ctx);
  const bad = [
    [{ hour: 24 }, /^hour /],
    [{ hour: '9am' }, /^hour /],
    [{ weekday: 0 }, /^weekday /],
    [{ off: ['cron_disabled', 'spam'] }, /^off /],
    [{ off: 'cron_disabled' }, /^off /],
  ] as const;
  for (const [body, field] of bad) {
    const answer = await ownerApi(ctx.h, owner.apiKey, 'PUT', '/api/attention/digest', body);
    assert.is(answer.status, 400, JSON.stringify(body));
    assert.match(answer.json.message, field);
  }
  const read = await ownerApi(ctx.h, owner.apiKey, 'GET', '/api/attention/digest');
  // nothing was changed by the refusals: the defaults, in the owner's time zone
  assert.equal([read.json.weekday, read.json.hour, read.json.timezone, read.json.off], [1, 9, 'Europe/Berlin', []]);
});

test('the account page\'s digest card saves the day, the hour and the kinds ticked', async (ctx) => {
  const { owner } = await ownerWithTroubledSite(ctx);
  const page = await loggedIn(ctx.h.app, owner.user.email, owner.password);
  const account = await page.get('/account');
  assert.is(account.statusCode, 200);
  // the defaults, in the account's zone, every kind ticked
  assert.match(account.body, /id="attention-digest"[\s\S]*Europe\/Berlin/);
  assert.match(account.body, /<option value="1" selected>Monday<\/option>/);
  assert.match(account.body, /<option value="9" selected>09:00<\/option>/);
  assert.match(account.body, /name="kind_cron_overdue" checked/);
  const kept = { kind_plugin_outdated: 'on', kind_wordpress_outdated: 'on', kind_php_unsupported: 'on', kind_cron_disabled: 'on', kind_not_production: 'on' };
  const saved = await page.post('/account/attention-digest', { weekday: '5', hour: '17', ...kept });
  assert.is(saved.statusCode, 303);
  const read = await ownerApi(ctx.h, owner.apiKey, 'GET', '/api/attention/digest');
  // Friday 17:00, and the unticked kind is off
  assert.equal([read.json.weekday, read.json.hour, read.json.off], [5, 17, ['cron_overdue']]);
  // a bad hour is refused with the field named, and nothing changes
  const bad = await page.post('/account/attention-digest', { weekday: '5', hour: '24', ...kept });
  assert.is(bad.statusCode, 400);
  assert.match(bad.body, /hour must be a whole hour/);
  // without the CSRF token, nothing is saved
  assert.is((await page.post('/account/attention-digest', { weekday: '2', hour: '8', _csrf: null })).statusCode, 403);
  assert.is((await ownerApi(ctx.h, owner.apiKey, 'GET', '/api/attention/digest')).json.weekday, 5);
});

test('the digest comes on the weekday and hour the owner chose, in their time zone', async (ctx) => {
  const { h } = ctx;
  const { owner } = await ownerWithTroubledSite(ctx, 'America/New_York');
  // Wednesday 18:00 in New York is 23:00 UTC in January
  await ownerApi(h, owner.apiKey, 'PUT', '/api/attention/digest', { weekday: 3, hour: 18 });
  const job = jobOf(ctx);
  h.clock.set(new Date('2026-01-07T22:59:00Z'));
  assert.equal((await job.run(h.clock.now())).decided, 0, 'not before 18:00 local');
  h.clock.set(new Date('2026-01-07T23:00:00Z'));
  assert.equal((await job.run(h.clock.now())).decided, 1, 'at 18:00 local');
  const rows = await digestRows(ctx);
  assert.equal(rows.map((r) => r.dedupe_key), [`attention:${owner.user.id}:2026-01-07T23:00:00.000Z`]);
});

test('webhooks and Slack get the attention event only once the owner turns it on for that channel', async (ctx) => {
  const { h, hook, slack } = ctx;
  const { owner, beat } = await ownerWithTroubledSite(ctx);
  const created = await ownerApi(h, owner.apiKey, 'POST', '/api/channels', { kind: 'webhook', name: 'Ops', target: hook.url('/hook') });
  hook.secret = created.json.secret;
  const slackChannel = await ownerApi(h, owner.apiKey, 'POST', '/api/channels', { kind: 'slack', name: 'Team', target: slack.url('/services/T/B/x') });
  const job = jobOf(ctx);
  assert.equal(await job.run(h.clock.now()), { decided: 1, mails: 1, events: 0 });
  await h.delivery.deliverDue(h.clock.now());
  // off by default: neither channel heard of it
  assert.is(hook.received.length, 0);
  assert.is(slack.received.length, 0);

  const on = await ownerApi(h, owner.apiKey, 'PUT', `/api/attention/digest/channels/${created.json.channel.id}`, { attention_events: true });
  assert.is(on.status, 200);
  assert.is(on.json.attention_events, true);
  h.clock.advance(7 * DAY);
  await beat();
  assert.equal(await job.run(h.clock.now()), { decided: 1, mails: 1, events: 1 });
  await h.delivery.deliverDue(h.clock.now());
  assert.is(hook.received.length, 1);
  const event = hook.received[0]!;
  assert.ok(event.verified, 'signed like every webhook event');
  assert.is(event.headers['x-agentdesk-event'], 'attention');
  assert.is(event.body.event, 'attention');
  const items = event.body.items as Array<{ state: string; kind: string; bot: { name: string } }>;
  assert.equal(items.map((i) => [i.state, i.kind]), [['still', 'plugin_outdated'], ['still', 'php_unsupported'], ['still', 'not_production']]);
  assert.is(event.body.plugin_release, SERVED);
  // Slack still off, until the owner turns it on too
  assert.is(slack.received.length, 0);
  await ownerApi(h, owner.apiKey, 'PUT', `/api/attention/digest/channels/${slackChannel.json.channel.id}`, { attention_events: true });
  h.clock.advance(7 * DAY);
  await beat();
  assert.equal(await job.run(h.clock.now()), { decided: 1, mails: 1, events: 2 });
  await h.delivery.deliverDue(h.clock.now());
  assert.is(slack.received.length, 1);
  const message = slack.received[0]!.body as { text: string; blocks: Array<{ text?: { text: string } }> };
  assert.is(message.text, 'Still needing attention: 3 items');
  assert.match(message.blocks.map((b) => b.text?.text ?? '').join('\n'), /\*<https:\/\/desk\.example\.test\/bots\/[^|]+\|Shop>\* \(still\) PHP past its end of life/);
  // an email channel has no such switch, nor has another owner's channel
  const other = await createOwner(h.db);
  assert.is((await ownerApi(h, other.apiKey, 'PUT', `/api/attention/digest/channels/${slackChannel.json.channel.id}`, { attention_events: true })).status, 404);
  assert.is((await ownerApi(h, owner.apiKey, 'PUT', `/api/attention/digest/channels/${created.json.channel.id}`, { attention_events: 'yes' })).status, 400);
});

test('two instances running the job at the same moment decide the week once: one mail', async (ctx) => {
  const { h, smtp } = ctx;
  await ownerWithTroubledSite(ctx);
  const other = createDigestJob({ db: await secondConnection(), attention: h.app.attention });
  const results = await Promise.all([jobOf(ctx).run(h.clock.now()), other.run(h.clock.now()), jobOf(ctx).run(h.clock.now())]);
  assert.is(results.reduce((sum, r) => sum + r.mails, 0), 1);
  assert.is((await digestRows(ctx)).length, 1);
  await h.delivery.deliverDue(h.clock.now());
  assert.is(smtp.received.length, 1);
});

test('the digest never rides on a stale alert, and a stale alert never lists attention items', async (ctx) => {
  const { h, smtp } = ctx;
  await ownerWithTroubledSite(ctx);
  await jobOf(ctx).run(h.clock.now());
  h.clock.advance(11 * 60_000);
  await h.sweepAndDeliver();
  const stale = smtp.received.find((m) => /stopped reporting/.test(m.subject));
  const digest = smtp.received.find((m) => /need attention/.test(m.subject));
  assert.ok(stale && digest, 'two separate mails');
  assert.not.match(stale!.text, /PHP 7\.4|staging/);
});

test.run();
