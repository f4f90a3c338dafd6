// Nudge before judging (docs/alerts.md "Nudge and probe"), end to end through the real sweep, probe worker, outbox and SMTP:
// the "sites" are real HTTP servers on loopback (PROBE_ALLOW_PRIVATE=true, host names *.test
// resolved to 127.0.0.1 by an injected resolver), the clock moves explicitly.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSweep, probeLeaseMs, sweepSettings } from '../../src/alerts/sweep.ts';
import { listConnectionEvents } from '../../src/db/bots.ts';
import { claimDueProbes, pruneProbeHosts } from '../../src/db/probes.ts';
import { maintainHistoryPartitions } from '../../src/db/history-partitions.ts';
import { createSafeRequester, type Resolver } from '../../src/outbound/safe-request.ts';
import { outboundSettings } from '../../src/outbound/outbound-settings.ts';
import { createProbeWorker, type ProbeWorker } from '../../src/probes/probe-worker.ts';
import { createOwner, testConfig } from '../helpers/app.ts';
import { createAlertHarness, resetAlertData, secondConnection, STALE_AFTER_MS, startSmtpSink, type AlertHarness, type SmtpSink } from '../alerts/alert-harness.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const CONFIRM = 2 * MINUTE;

/** How each test site answers the nudge; `wake` makes WP-Cron "run": the plugin's heartbeat first. */
type SiteBehaviour = { status: number; wake?: () => Promise<unknown> };

interface Ctx {
  h: AlertHarness;
  smtp: SmtpSink;
  server: http.Server;
  port: number;
  sites: Map<string, SiteBehaviour>;
  requests: Array<{ host: string; url: string; userAgent: string }>;
  worker: ProbeWorker;
  resolve: Resolver;
}

const toLoopback: Resolver = async (hostname) => {
  if (!hostname.endsWith('.test')) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return [{ address: '127.0.0.1', family: 4 }];
};

const test = suite<Ctx>('nudge and probe before telling an owner');

test.before(async (ctx) => {
  ctx.sites = new Map();
  ctx.requests = [];
  const sockets = new Set<Socket>();
  ctx.server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').split(':')[0]!;
    ctx.requests.push({ host, url: req.url ?? '', userAgent: String(req.headers['user-agent']) });
    const site = ctx.sites.get(host) ?? { status: 404 };
    void (site.wake?.() ?? Promise.resolve()).then(() => {
      res.writeHead(site.status, { 'content-type': 'text/plain' });
      res.end('');
    });
  });
  ctx.server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => ctx.server.listen(0, '127.0.0.1', resolve));
  ctx.port = (ctx.server.address() as AddressInfo).port;
  ctx.smtp = await startSmtpSink();
  ctx.resolve = toLoopback;
  const env = {
    PROBE: 'on',
    PROBE_ALLOW_PRIVATE: 'true',
    PROBE_PORTS: String(ctx.port),
    PROBE_CONFIRM: '2m',
    PROBE_TIMEOUT: '2s',
    OPERATOR_EMAIL: 'ops@desk.example.test',
    STORM_MIN: '5',
  };
  // The harness's probe worker is production's (src/alerts/alert-pipeline.ts), with names resolved to loopback.
  ctx.h = await createAlertHarness({ smtp: ctx.smtp, env, resolve: toLoopback });
  ctx.worker = ctx.h.probeWorker;
});

test.before.each(async (ctx) => {
  await resetAlertData(ctx.h.db);
  ctx.smtp.received.length = 0;
  ctx.requests.length = 0;
  ctx.sites.clear();
  ctx.h.clock.set(new Date('2026-01-05T10:00:00Z'));
});

test.after(async (ctx) => {
  await ctx.h.close();
  await ctx.smtp.close();
  await new Promise<void>((resolve) => {
    ctx.server.closeAllConnections();
    ctx.server.close(() => resolve());
  });
});

/** One minute of the service: the sweep, then the probes it queued and the mails due. */
async function minute(ctx: Ctx, advanceMs = MINUTE) {
  ctx.h.clock.advance(advanceMs);
  const sweep = await ctx.h.sweep.run(ctx.h.clock.now());
  const probes = await ctx.worker.runDue();
  await ctx.h.delivery.deliverDue(ctx.h.clock.now());
  return { sweep, probes };
}

const siteUrl = (ctx: Ctx, host: string) => `http://${host}:${ctx.port}`;

async function bot(ctx: Ctx, ownerId: string, name: string, host: string, behaviour: SiteBehaviour) {
  const created = await ctx.h.connectedBot(ownerId, name, siteUrl(ctx, host));
  ctx.sites.set(host, behaviour);
  return created;
}

async function apiBot(ctx: Ctx, ownerKey: string, botId: string) {
  const response = await ctx.h.app.inject({ method: 'GET', url: `/api/bots/${botId}`, headers: { authorization: `Bearer ${ownerKey}` } });
  return response.json();
}

async function counted(ctx: Ctx, result: string) {
  const metric = await ctx.h.metrics.registry.getSingleMetric('agentdesk_probes_total')!.get();
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
}

test('an idle site woken by the nudge stays connected, gets a woke event and never mails its owner', async (ctx) => {
  const owner = await ctx.h.owner();
  let token = '';
  const created = await bot(ctx, owner.id, 'Idle blog', 'idle.test', { status: 200, wake: () => ctx.h.heartbeat(token, { site_url: siteUrl(ctx, 'idle.test') }) });
  token = created.token;
  const wokeBefore = await counted(ctx, 'woke');
  const first = await minute(ctx, STALE_AFTER_MS + MINUTE);
  // past the deadline: a nudge is queued and sent, nothing flips
  assert.is(first.sweep.probesQueued, 1);
  assert.is(first.sweep.flipped, 0);
  assert.is(first.probes.answered, 1);
  // WordPress's own cron URL was requested, by AgentDesk-Probe
  assert.equal(ctx.requests.map((r) => r.url), ['/wp-cron.php?doing_wp_cron']);
  assert.match(ctx.requests[0]!.userAgent, /^AgentDesk-Probe\/\d+\.\d+\.\d+ \(\+https:\/\/desk\.example\.test\/privacy#probe\)$/);
  const second = await minute(ctx);
  // the heartbeat it caused ends the probe as "woke"
  assert.is(second.sweep.woke, 1);
  assert.is(second.sweep.flipped, 0);
  const events = await listConnectionEvents(ctx.h.db, created.bot.id);
  const probe = events.find((e) => e.kind === 'probe');
  assert.equal(probe?.details, { result: 'woke', http_status: 200, woke: true });
  // counted once
  assert.is((await counted(ctx, 'woke')) - wokeBefore, 1);
  // a whole idle night, woken every time: still connected, never a mail
  for (let i = 0; i < 60; i++) await minute(ctx, 5 * MINUTE);
  const { rows } = await ctx.h.db.query<{ connection_status: string; probe_woke_at: Date | null }>('SELECT connection_status, probe_woke_at FROM bots WHERE id = $1', [created.bot.id]);
  assert.is(rows[0]!.connection_status, 'connected');
  assert.ok(rows[0]!.probe_woke_at);
  assert.is(ctx.smtp.received.length, 0);
});

test('a site that does not answer goes stale after PROBE_CONFIRM with site_down, and its owner gets one mail saying it is down', async (ctx) => {
  const { user, apiKey } = await createOwner(ctx.h.db);
  const created = await bot(ctx, user.id, 'Broken shop', 'broken.test', { status: 503 });
  await minute(ctx, STALE_AFTER_MS + MINUTE);
  const waiting = await minute(ctx);
  // answered, but PROBE_CONFIRM has not passed: still connected, no mail
  assert.is(waiting.sweep.flipped, 0);
  assert.is((await apiBot(ctx, apiKey, created.bot.id)).connection_status, 'connected');
  const judged = await minute(ctx, CONFIRM);
  // now stale, diagnosed, and mailed once
  assert.is(judged.sweep.flipped, 1);
  const json = await apiBot(ctx, apiKey, created.bot.id);
  assert.is(json.connection_status, 'stale');
  assert.is(json.diagnosis, 'site_down');
  assert.match(json.diagnosis_detail, 'server error (HTTP 503)');
  assert.ok(json.last_probe_at);
  assert.is(ctx.smtp.received.length, 1);
  const mail = ctx.smtp.received[0]!;
  assert.is(mail.subject, 'A site is down: it does not answer');
  assert.ok(mail.text.includes('Broken shop'));
  assert.match(mail.text, 'Your site is down:');
  assert.match(mail.text, 'What we found: Your site answered with a server error (HTTP 503)');
  const list = await ctx.h.app.inject({ method: 'GET', url: '/api/bots', headers: { authorization: `Bearer ${apiKey}` } });
  // the list carries the same fields
  const listed = list.json();
  const entry = (Array.isArray(listed) ? listed : listed.bots ?? listed.data).find((b: { id: string }) => b.id === created.bot.id);
  assert.is(entry.diagnosis, 'site_down');
  await minute(ctx);
  await minute(ctx);
  // and nothing more
  assert.is(ctx.smtp.received.length, 1);
});

test('one digest groups an owner\'s sites by diagnosis with the next step for each', async (ctx) => {
  const owner = await ctx.h.owner();
  await bot(ctx, owner.id, 'Down site', 'down.test', { status: 500 });
  await bot(ctx, owner.id, 'Silent plugin', 'silent.test', { status: 200 });
  await bot(ctx, owner.id, 'Firewalled', 'walled.test', { status: 403 });
  await ctx.h.connectedBot(owner.id, 'Nowhere', 'http://nowhere.invalid');
  await minute(ctx, STALE_AFTER_MS + MINUTE);
  await minute(ctx, CONFIRM);
  // one mail for the four
  assert.is(ctx.smtp.received.length, 1);
  const text = ctx.smtp.received[0]!.text;
  assert.is(ctx.smtp.received[0]!.subject, '4 of your sites stopped reporting to AgentDesk');
  // each group under its heading, in order, with its advice
  const order = ['Your site is down:', 'WordPress answers, but the AgentDesk plugin is silent:', 'We could not check: your firewall blocks us:'];
  const positions = order.map((heading) => text.indexOf(heading));
  assert.ok(positions.every((p) => p >= 0), text);
  assert.equal([...positions].sort((a, b) => a - b), positions);
  assert.ok(text.indexOf('Down site') > positions[0]! && text.indexOf('Down site') < positions[1]!);
  assert.ok(text.indexOf('Silent plugin') > positions[1]! && text.indexOf('Silent plugin') < positions[2]!);
  assert.match(text, 'Settings → AgentDesk: does the token still match this bot');
  assert.match(text, 'Allow requests with the User-Agent "AgentDesk-Probe"');
  // a name that does not resolve is a site that does not answer, with the DNS error in words
  assert.match(text, 'DNS lookup failed for nowhere.invalid (ENOTFOUND)');
});

test('an address the rules refuse is never requested: not_probed, told without waiting for PROBE_CONFIRM', async (ctx) => {
  const fenced = createProbeWorker({
    db: ctx.h.db,
    requester: createSafeRequester({ ...outboundSettings(ctx.h.config, toLoopback), allowPrivate: false }),
    now: ctx.h.clock.now,
    concurrency: 5,
    leaseMs: probeLeaseMs(ctx.h.config.probeTimeoutMs),
  });
  const owner = await ctx.h.owner();
  const created = await bot(ctx, owner.id, 'Intranet', 'intranet.test', { status: 200 });
  ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
  await ctx.h.sweep.run(ctx.h.clock.now());
  await fenced.runDue();
  ctx.h.clock.advance(MINUTE);
  const judged = await ctx.h.sweep.run(ctx.h.clock.now());
  await ctx.h.delivery.deliverDue(ctx.h.clock.now());
  // nothing reached the "site"; flipped at the next sweep with not_probed
  assert.is(ctx.requests.length, 0);
  assert.is(judged.flipped, 1);
  const { rows } = await ctx.h.db.query<{ diagnosis: string; diagnosis_detail: string }>('SELECT diagnosis, diagnosis_detail FROM bots WHERE id = $1', [created.bot.id]);
  assert.is(rows[0]!.diagnosis, 'not_probed');
  assert.match(rows[0]!.diagnosis_detail, 'our safety rules do not allow requesting this address (the address is in a loopback range)');
  // the detail names the rule, never the address the site's name resolved to
  assert.not.match(rows[0]!.diagnosis_detail, '127.0.0.1');
  // the owner is told as with PROBE=off
  assert.is(ctx.smtp.received[0]?.subject, 'A site stopped reporting to AgentDesk');
});

test('the recovery mail says what it was and how long', async (ctx) => {
  const owner = await ctx.h.owner();
  const { token } = await bot(ctx, owner.id, 'Comeback', 'comeback.test', { status: 502 });
  await minute(ctx, STALE_AFTER_MS + MINUTE);
  await minute(ctx, CONFIRM);
  assert.is(ctx.smtp.received.length, 1);
  ctx.h.clock.advance(40 * MINUTE);
  await ctx.h.heartbeat(token, { site_url: siteUrl(ctx, 'comeback.test') });
  await minute(ctx);
  // one recovery mail, with the diagnosis and the silence
  assert.is(ctx.smtp.received.length, 2);
  const recovery = ctx.smtp.received[1]!.text;
  assert.match(recovery, 'Silent for: 53 minutes');
  assert.match(recovery, 'What it was: your site was down. Your site answered with a server error (HTTP 502)');
});

test('each reminder re-probes the still silent site and carries the updated diagnosis', async (ctx) => {
  const { user, apiKey } = await createOwner(ctx.h.db);
  const created = await bot(ctx, user.id, 'Half fixed', 'half.test', { status: 503 });
  await minute(ctx, STALE_AFTER_MS + MINUTE);
  await minute(ctx, CONFIRM);
  assert.is((await apiBot(ctx, apiKey, created.bot.id)).diagnosis, 'site_down');
  // a day later the host is back, but the plugin stays silent
  ctx.sites.set('half.test', { status: 200 });
  const requestsBefore = ctx.requests.length;
  await minute(ctx, DAY);
  // the reminder waits for its probe
  assert.is(ctx.requests.length, requestsBefore + 1);
  assert.is(ctx.smtp.received.length, 1);
  await minute(ctx, CONFIRM);
  // then goes out with what the new probe found
  assert.is(ctx.smtp.received.length, 2);
  assert.is(ctx.smtp.received[1]!.subject, 'Reminder: a site is still not reporting to AgentDesk');
  assert.ok(ctx.smtp.received[1]!.text.includes('Half fixed'));
  assert.match(ctx.smtp.received[1]!.text, 'WordPress answers, but the AgentDesk plugin is silent: WordPress answered (HTTP 200)');
  const json = await apiBot(ctx, apiKey, created.bot.id);
  assert.is(json.diagnosis, 'plugin_silent');
  await minute(ctx, CONFIRM);
  // one reminder, one re-probe
  assert.is(ctx.smtp.received.length, 2);
  assert.is(ctx.requests.length, requestsBefore + 1);
});

test('two instances sweeping and probing at once request each deadline once; a crash mid-probe is retried after the lease', async (ctx) => {
  const other = await secondConnection();
  const otherSweep = createSweep({ db: other, ...sweepSettings(ctx.h.config) });
  const otherWorker = createProbeWorker({
    db: other,
    requester: createSafeRequester(outboundSettings(ctx.h.config, toLoopback)),
    now: ctx.h.clock.now,
    concurrency: 20,
    leaseMs: probeLeaseMs(ctx.h.config.probeTimeoutMs),
  });
  const owner = await ctx.h.owner();
  for (const name of ['one', 'two', 'three']) await bot(ctx, owner.id, `Site ${name}`, `${name}.test`, { status: 200 });
  ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
  await Promise.all([ctx.h.sweep.run(ctx.h.clock.now()), otherSweep.run(ctx.h.clock.now())]);
  await Promise.all([ctx.h.sweep.run(ctx.h.clock.now()), otherSweep.run(ctx.h.clock.now())]);
  await Promise.all([ctx.worker.runDue(), otherWorker.runDue(), ctx.worker.runDue()]);
  // each site nudged exactly once
  assert.equal(ctx.requests.map((r) => r.host).sort(), ['one.test', 'three.test', 'two.test']);

  // A fourth site's probe is claimed by a worker that then dies.
  await bot(ctx, owner.id, 'Site four', 'four.test', { status: 200 });
  ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
  await ctx.h.sweep.run(ctx.h.clock.now());
  const claimed = await claimDueProbes(ctx.h.db, ctx.h.clock.now(), probeLeaseMs(ctx.h.config.probeTimeoutMs), 20);
  const four = claimed.filter((p) => p.url?.includes('four.test'));
  assert.is(four.length, 1);
  await otherWorker.runDue();
  // while its lease runs, nobody else probes it
  assert.not.ok(ctx.requests.some((r) => r.host === 'four.test'));
  ctx.h.clock.advance(probeLeaseMs(ctx.h.config.probeTimeoutMs));
  await otherWorker.runDue();
  // after the lease, it is probed once
  assert.is(ctx.requests.filter((r) => r.host === 'four.test').length, 1);
});

test('one probe per host per minute: a second site on the same host waits for the next minute', async (ctx) => {
  const owner = await ctx.h.owner();
  await ctx.h.connectedBot(owner.id, 'Shared A', `${siteUrl(ctx, 'shared.test')}/a`);
  await ctx.h.connectedBot(owner.id, 'Shared B', `${siteUrl(ctx, 'shared.test')}/b`);
  ctx.sites.set('shared.test', { status: 200 });
  const first = await minute(ctx, STALE_AFTER_MS + MINUTE);
  // one sent, one deferred
  assert.is(first.probes.answered, 1);
  assert.is(first.probes.deferred, 1);
  assert.is(ctx.requests.length, 1);
  await minute(ctx, 30_000);
  // still within the minute: nothing more
  assert.is(ctx.requests.length, 1);
  await minute(ctx, 30_000);
  // a minute later, the second
  assert.equal(ctx.requests.map((r) => r.url).sort(), ['/a/wp-cron.php?doing_wp_cron', '/b/wp-cron.php?doing_wp_cron']);
});

test('during a storm probes still run, owner mails are held, and the operator gets the breakdown by diagnosis', async (ctx) => {
  const owners = [await ctx.h.owner(), await ctx.h.owner()];
  for (let i = 0; i < 6; i++) await bot(ctx, owners[i % 2]!.id, `Storm ${i}`, `storm${i}.test`, { status: i < 4 ? 200 : 503 });
  const storm = await minute(ctx, STALE_AFTER_MS + MINUTE);
  // all six silent at once: an incident, and still six nudges
  assert.is(storm.sweep.incidentOpened, true);
  assert.is(ctx.requests.length, 6);
  await minute(ctx, CONFIRM);
  const assessed = ctx.smtp.received.filter((m) => m.to === 'ops@desk.example.test');
  // opened, then (every probe judged) what they found, while the incident is still open
  assert.is(assessed.length, 2);
  assert.match(assessed[0]!.subject, /Storm incident #\d+: 6 of 6 bots went silent at once/);
  assert.match(assessed[1]!.subject, /what the probes of silent sites found/);
  assert.match(assessed[1]!.text, '4 WordPress answers, plugin silent');
  assert.match(assessed[1]!.text, '2 site down');
  const outbox = await ctx.h.outbox();
  // their stale mails are held
  assert.ok(outbox.filter((m) => m.kind === 'stale').every((m) => m.status === 'held'));
  assert.is(outbox.filter((m) => m.kind === 'stale').length, 2);
  await minute(ctx, STALE_AFTER_MS);
  const ended = ctx.smtp.received.filter((m) => m.to === 'ops@desk.example.test');
  // then the ended mail, with the breakdown again
  assert.is(ended.length, 3);
  assert.match(ended[2]!.subject, /ended$/);
  const summary = ended[2]!.text;
  assert.match(summary, '4 WordPress answers, plugin silent');
  assert.match(summary, '2 site down');
  assert.match(summary, 'more likely on our side');
});

test('a worker keeps at most PROBE_CONCURRENCY requests in flight', async (ctx) => {
  const owner = await ctx.h.owner();
  let inFlight = 0;
  let most = 0;
  let arrived = 0;
  const waiting: Array<() => void> = [];
  // Each answer waits until a second request is in flight (or it is the last one), so a batch of
  // two is really concurrent; a serial worker would leave the first waiting until its timeout.
  for (let i = 0; i < 5; i++) {
    await bot(ctx, owner.id, `Busy ${i}`, `busy${i}.test`, {
      status: 200,
      wake: async () => {
        arrived++;
        most = Math.max(most, ++inFlight);
        if (inFlight >= 2 || arrived === 5) {
          for (const release of waiting.splice(0)) release();
        } else {
          await new Promise<void>((resolve) => waiting.push(resolve));
        }
        inFlight--;
      },
    });
  }
  const narrow = createProbeWorker({
    db: ctx.h.db,
    requester: createSafeRequester(outboundSettings(ctx.h.config, toLoopback)),
    now: ctx.h.clock.now,
    concurrency: 2,
    leaseMs: probeLeaseMs(ctx.h.config.probeTimeoutMs),
  });
  ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
  await ctx.h.sweep.run(ctx.h.clock.now());
  const result = await narrow.runDue();
  // all five answered, never more than two at once
  assert.is(result.answered, 5);
  assert.is(most, 2);
});

test('probes and host slots are pruned once older than the reminders they could serve', async (ctx) => {
  const owner = await ctx.h.owner();
  await bot(ctx, owner.id, 'Old probe', 'old.test', { status: 200 });
  await minute(ctx, STALE_AFTER_MS + MINUTE);
  const count = async () => (await ctx.h.db.query<{ n: number }>('SELECT (SELECT count(*) FROM site_probes) + (SELECT count(*) FROM probe_hosts) AS n')).rows[0]!.n;
  // a probe and its host slot
  assert.is(Number(await count()), 2);
  const prune = async (at: Date) => {
    await maintainHistoryPartitions(ctx.h.db, at);
    await pruneProbeHosts(ctx.h.db, at);
  };
  await prune(new Date(ctx.h.clock.now().getTime() + 7 * DAY));
  // kept for the week of reminders (the host slot, an hour old, goes)
  assert.is(Number(await count()), 1);
  await prune(new Date(ctx.h.clock.now().getTime() + 9 * DAY));
  // then gone
  assert.is(Number(await count()), 0);
});

test('with PROBE=off a silent site is flipped at its deadline, not_probed, as before', async (ctx) => {
  const sweep = createSweep({ db: ctx.h.db, ...sweepSettings(testConfig({ PROBE: 'off' })) });
  const owner = await ctx.h.owner();
  const created = await bot(ctx, owner.id, 'Unprobed', 'unprobed.test', { status: 200 });
  ctx.h.clock.advance(STALE_AFTER_MS + MINUTE);
  const result = await sweep.run(ctx.h.clock.now());
  // flipped at once, nothing requested
  assert.is(result.flipped, 1);
  assert.is(result.probesQueued, 0);
  assert.is(ctx.requests.length, 0);
  const { rows } = await ctx.h.db.query<{ diagnosis: string }>('SELECT diagnosis FROM bots WHERE id = $1', [created.bot.id]);
  assert.is(rows[0]!.diagnosis, 'not_probed');
});

test('a weekly window ended early: the silent site is probed at the next sweep, not before, then its owner is told', async (ctx) => {
  const { user, apiKey } = await createOwner(ctx.h.db, { timezone: 'UTC' });
  const owner = (method: 'POST' | 'DELETE', url: string, body?: unknown) =>
    ctx.h.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
  // Mondays 09:00-13:00 UTC; now is Monday 10:00
  assert.is((await owner('POST', '/api/maintenance/schedules', { weekday: 1, start: '09:00', minutes: 240 })).statusCode, 201);
  const created = await bot(ctx, user.id, 'Weekly deploy', 'weekly.test', { status: 503 });
  const inside = await minute(ctx, STALE_AFTER_MS + MINUTE);
  // stale inside the weekly occurrence: no nudge, no mail
  assert.is(inside.sweep.flipped, 1);
  assert.is(ctx.requests.length, 0);
  const ended = await owner('DELETE', `/api/bots/${created.bot.id}/maintenance`);
  assert.is(ended.json().ended, true);
  // ending sends nothing by itself
  assert.is(ctx.requests.length, 0);
  await minute(ctx);
  // the next sweep probes the site, hours before the occurrence would have ended
  assert.equal(ctx.requests.map((r) => r.url), ['/wp-cron.php?doing_wp_cron']);
  assert.is(ctx.smtp.received.length, 0);
  const judged = await minute(ctx, CONFIRM);
  // then mails what it found
  assert.is(judged.sweep.maintenanceMails, 1);
  assert.is(ctx.smtp.received[0]!.subject, 'A site is down: it does not answer');
  assert.ok(ctx.smtp.received[0]!.text.includes('Weekly deploy'));
});

test('a site in a maintenance window is not nudged; once the window ends it is probed, then its owner is told what was found', async (ctx) => {
  const { user, apiKey } = await createOwner(ctx.h.db);
  const created = await bot(ctx, user.id, 'Deploying shop', 'deploying.test', { status: 503 });
  const opened = await ctx.h.app.inject({
    method: 'POST',
    url: `/api/bots/${created.bot.id}/maintenance`,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ minutes: 30 }),
  });
  assert.is(opened.statusCode, 200);
  const inside = await minute(ctx, STALE_AFTER_MS + MINUTE);
  // stale at the deadline without a nudge: no probe, no request to the site, no mail
  assert.is(inside.sweep.flipped, 1);
  assert.is(inside.sweep.probesQueued, 0);
  assert.is(ctx.requests.length, 0);
  assert.is(ctx.smtp.received.length, 0);
  const json = await apiBot(ctx, apiKey, created.bot.id);
  assert.is(json.diagnosis, 'not_probed');
  assert.match(json.diagnosis_detail, 'maintenance window');
  for (let i = 0; i < 3; i++) await minute(ctx, 5 * MINUTE);
  // still inside the window: still no request, no mail
  assert.is(ctx.requests.length, 0);
  assert.is(ctx.smtp.received.length, 0);
  const ended = await minute(ctx, 5 * MINUTE);
  // the window ended: the site is probed now, the mail waits for the verdict
  assert.equal(ctx.requests.map((r) => r.url), ['/wp-cron.php?doing_wp_cron']);
  assert.is(ended.sweep.maintenanceMails, 0);
  assert.is(ctx.smtp.received.length, 0);
  const judged = await minute(ctx, CONFIRM);
  // after PROBE_CONFIRM without a heartbeat: one mail, with the diagnosis of that probe
  assert.is(judged.sweep.maintenanceMails, 1);
  assert.is(ctx.smtp.received.length, 1);
  assert.is(ctx.smtp.received[0]!.subject, 'A site is down: it does not answer');
  assert.ok(ctx.smtp.received[0]!.text.includes('Deploying shop'));
  assert.is((await apiBot(ctx, apiKey, created.bot.id)).diagnosis, 'site_down');
  await minute(ctx, 10 * MINUTE);
  // once
  assert.is(ctx.smtp.received.length, 1);
});

test.run();
