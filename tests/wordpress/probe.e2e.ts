// `npm run test:wordpress`: telling silence from failure (docs/alerts.md "Nudge and probe") against a real WordPress with the
// plugin active and no visitors (DISABLE_WP_CRON, nothing requests its pages), served by `php -S`
// with 4 workers, and the real service (sweep, probe worker, outbox, SMTP) on an explicit clock.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listConnectionEvents } from '../../src/db/bots.ts';
import type { ProbeWorker } from '../../src/probes/probe-worker.ts';
import { DEFAULT_PLUGIN_DIR, writePluginBuild } from '../../src/plugin/plugin-release.ts';
import { createAlertHarness, resetAlertData, STALE_AFTER_MS, startSmtpSink, type AlertHarness, type SmtpSink } from '../alerts/alert-harness.ts';
import { createBotFor, createOwner } from '../helpers/app.ts';
import { whenAvailable } from '../helpers/system.ts';
import { startWordPress, wordpressUnavailable, type WordPressSite } from './wordpress-site.ts';

const MINUTE = 60_000;
const CONFIRM = 2 * MINUTE;

interface Ctx {
  site: WordPressSite;
  smtp: SmtpSink;
  h: AlertHarness;
  worker: ProbeWorker;
  apiKey: string;
  botId: string;
  ownerEmail: string;
}

const test = suite<Ctx>('WordPress: nudge and probe a silent site');
const it = whenAvailable(test, wordpressUnavailable());

test.before(async (ctx) => {
  if (wordpressUnavailable()) return;
  // The service's port is known only once the harness listens: the api_url option set below has it.
  ctx.site = await startWordPress({ apiUrl: 'http://127.0.0.1/api', workers: 4 });
  ctx.smtp = await startSmtpSink();
  const port = new URL(ctx.site.url).port;
  ctx.h = await createAlertHarness({
    smtp: ctx.smtp,
    env: { PROBE: 'on', PROBE_ALLOW_PRIVATE: 'true', PROBE_PORTS: port, PROBE_CONFIRM: '2m', PROBE_TIMEOUT: '20s' },
  });
  await resetAlertData(ctx.h.db);
  await ctx.h.app.listen({ host: '127.0.0.1', port: 0 });
  ctx.worker = ctx.h.probeWorker;
  const owner = await createOwner(ctx.h.db);
  ctx.apiKey = owner.apiKey;
  ctx.ownerEmail = owner.user.email;
  const { bot, token } = await createBotFor(ctx.h.db, owner.user.id, { name: 'Quiet blog' });
  ctx.botId = bot.id;
  await ctx.site.task('install', { password: 'e2e-probe-password' });
  await ctx.site.task('activate');
  await ctx.site.task('set-option', { name: 'agentdesk_api_url', value: `http://127.0.0.1:${(ctx.h.app.server.address() as AddressInfo).port}/api` });
  await ctx.site.task('set-option', { name: 'agentdesk_api_token', value: token });
});

test.after(async (ctx) => {
  await ctx.site?.close();
  await ctx.h?.close();
  await ctx.smtp?.close();
});

const botJson = async (ctx: Ctx) =>
  (await ctx.h.app.inject({ method: 'GET', url: `/api/bots/${ctx.botId}`, headers: { authorization: `Bearer ${ctx.apiKey}` } })).json();
const staleMails = (ctx: Ctx) => ctx.smtp.received.filter((m) => m.to === ctx.ownerEmail && !/again$/.test(m.subject));

/** One sweep at the clock's time, the probes it queued, the mails due. */
async function sweepProbeDeliver(ctx: Ctx) {
  const sweep = await ctx.h.sweep.run(ctx.h.clock.now());
  const probes = await ctx.worker.runDue();
  await ctx.h.delivery.deliverDue(ctx.h.clock.now());
  return { sweep, probes };
}

it('the site reports once and its heartbeat event is scheduled', async (ctx) => {
  const run = await ctx.site.task('cron');
  // the plugin's heartbeat reached the service
  assert.is(run.options.agentdesk_heartbeat_result.code, 200);
  assert.is(run.schedule, 'agentdesk_five_minutes');
  assert.is((await botJson(ctx)).connection_status, 'connected');
});

it('wp-cron.php with a valued doing_wp_cron (not the site\'s own lock) runs nothing', async (ctx) => {
  const before = (await botJson(ctx)).wordpress_last_activity;
  await ctx.site.task('make-due');
  ctx.h.clock.advance(1000);
  const response = await fetch(`${ctx.site.url}/wp-cron.php?doing_wp_cron=${Math.floor(Date.now() / 1000)}`);
  await response.text();
  // WordPress answered, but no heartbeat came: the event only runs for its own lock value
  assert.is(response.status, 200);
  assert.is((await botJson(ctx)).wordpress_last_activity, before);
  const state = await ctx.site.task('state');
  // and the event is still due
  assert.ok(state.next <= Date.now() / 1000, `next run at ${state.next}`);
});

it('a silent idle site is nudged: WP-Cron sends the heartbeat, no mail, still connected, a woke event', async (ctx) => {
  await ctx.site.task('make-due');
  ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
  const nudged = await sweepProbeDeliver(ctx);
  // past its deadline: nudged rather than flipped
  assert.is(nudged.sweep.probesQueued, 1);
  assert.is(nudged.sweep.flipped, 0);
  assert.is(nudged.probes.answered, 1);
  // the nudge made WordPress run the due event: the heartbeat is in
  assert.is((await botJson(ctx)).wordpress_last_activity, ctx.h.clock.now().toISOString());
  ctx.h.clock.advance(MINUTE);
  const after = await sweepProbeDeliver(ctx);
  assert.is(after.sweep.woke, 1);
  const json = await botJson(ctx);
  // still connected, nobody mailed
  assert.is(json.connection_status, 'connected');
  assert.is(json.diagnosis, null);
  assert.is(ctx.smtp.received.length, 0);
  const events = await listConnectionEvents(ctx.h.db, ctx.botId);
  // the probe event says it woke
  assert.equal(events.find((e) => e.kind === 'probe')?.details, { result: 'woke', http_status: 200, woke: true });
});

it('with the WordPress server stopped: one mail that says the site is down, diagnosis site_down', async (ctx) => {
  await ctx.site.stop();
  ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
  const nudged = await sweepProbeDeliver(ctx);
  // nudged, refused, not judged yet
  assert.is(nudged.probes.answered, 1);
  assert.is(nudged.sweep.flipped, 0);
  ctx.h.clock.advance(CONFIRM);
  const judged = await sweepProbeDeliver(ctx);
  assert.is(judged.sweep.flipped, 1);
  const json = await botJson(ctx);
  // stale, site_down, with the error in words
  assert.is(json.connection_status, 'stale');
  assert.is(json.diagnosis, 'site_down');
  assert.match(json.diagnosis_detail, 'connection refused');
  ctx.h.clock.advance(MINUTE);
  await sweepProbeDeliver(ctx);
  // exactly one mail, and it says the site is down
  const mails = staleMails(ctx);
  assert.is(mails.length, 1);
  assert.is(mails[0]!.subject, 'A site is down: it does not answer');
  assert.match(mails[0]!.text, 'Your site is down:');
  assert.match(mails[0]!.text, 'connection refused');
});

it('back up, then the plugin files removed without deactivation while WordPress answers: plugin_silent', async (ctx) => {
  await ctx.site.restart();
  const run = await ctx.site.task('cron');
  // the site reports again; the recovery mail says what it was
  assert.is(run.options.agentdesk_heartbeat_result.code, 200);
  ctx.h.clock.advance(MINUTE);
  await sweepProbeDeliver(ctx);
  const recovery = ctx.smtp.received.find((m) => /again$/.test(m.subject));
  assert.ok(recovery, 'a recovery mail');
  assert.match(recovery!.text, 'What it was: your site was down.');

  rmSync(path.join(ctx.site.root, 'wp-content', 'plugins', 'agentdesk-chatbot'), { recursive: true, force: true });
  const due = await ctx.site.task('make-due');
  // the event is still in WordPress's cron, with nothing left to run it
  assert.is(due.moved, 1);
  assert.is(due.active, true);
  ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
  const nudged = await sweepProbeDeliver(ctx);
  assert.is(nudged.probes.answered, 1);
  ctx.h.clock.advance(CONFIRM);
  const judged = await sweepProbeDeliver(ctx);
  // WordPress answered, no heartbeat followed
  assert.is(judged.sweep.flipped, 1);
  const json = await botJson(ctx);
  assert.is(json.diagnosis, 'plugin_silent');
  assert.match(json.diagnosis_detail, 'WordPress answered (HTTP 200)');
  ctx.h.clock.advance(MINUTE);
  await sweepProbeDeliver(ctx);
  const mails = staleMails(ctx);
  // one more mail, saying the plugin is silent
  assert.is(mails.length, 2);
  assert.is(mails[1]!.subject, 'A site answers, but its AgentDesk plugin is silent');
});

it("WordPress's database-error page is site_down, with that detail, not plugin_silent", async (ctx) => {
  // The plugin back in place: the site reports and recovers.
  const plugins = path.join(ctx.site.root, 'wp-content', 'plugins');
  writePluginBuild(DEFAULT_PLUGIN_DIR, plugins, { variant: 'direct', apiUrl: 'http://127.0.0.1/api' });
  const run = await ctx.site.task('cron');
  assert.is(run.options.agentdesk_heartbeat_result.code, 200);
  ctx.h.clock.advance(MINUTE);
  await sweepProbeDeliver(ctx);
  assert.is((await botJson(ctx)).connection_status, 'connected');

  // Then its database stops answering: a db.php drop-in points WordPress at a port nothing listens on.
  const dropIn = path.join(ctx.site.root, 'wp-content', 'db.php');
  writeFileSync(dropIn, "<?php\n$wpdb = new wpdb( DB_USER, DB_PASSWORD, DB_NAME, '127.0.0.1:9' );\n");
  try {
    const page = await fetch(`${ctx.site.url}/wp-cron.php?doing_wp_cron`);
    const body = await page.text();
    // WordPress's own page, as a visitor sees it
    assert.is(page.status, 500);
    assert.match(body, 'Error establishing a database connection');
    ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
    await sweepProbeDeliver(ctx);
    ctx.h.clock.advance(CONFIRM);
    const judged = await sweepProbeDeliver(ctx);
    assert.is(judged.sweep.flipped, 1);
    const json = await botJson(ctx);
    // down, and the owner reads why
    assert.is(json.connection_status, 'stale');
    assert.is(json.diagnosis, 'site_down');
    assert.match(json.diagnosis_detail, '"Error establishing a database connection" page (HTTP 500)');
    const events = await listConnectionEvents(ctx.h.db, ctx.botId);
    assert.equal(events.find((e) => e.kind === 'probe')?.details, { result: 'site_down', http_status: 500, page: 'database_error', woke: false });
  } finally {
    rmSync(dropIn, { force: true });
  }
});

test.run();
