// Shared setup for the owner-alert suites: their own database (the sweep looks at every bot, so
// other suites' bots must not be in it), a real SMTP peer on a loopback port, the real app for
// heartbeats and links, and the sweep and delivery worker driven with an explicit clock.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';
import { createAlertPipeline } from '../../src/alerts/alert-pipeline.ts';
import { createMailTransport, type MailTransport } from '../../src/mail/mail-transport.ts';
import type { Resolver } from '../../src/outbound/safe-request.ts';
import { createMetrics } from '../../src/metrics.ts';
import { buildTestApp, createBotFor, createClock, createOwner, heartbeatBody, testConfig, type Clock, postHeartbeat } from '../helpers/app.ts';
import { createPostgresDatabase } from '../helpers/database.ts';
import { startSlackReceiver, startWebhookReceiver } from '../helpers/receivers.ts';

let shared: Promise<{ db: Database; url: string }> | undefined;
const extra: Database[] = [];

/** The alert suites' own migrated database, shared by them and emptied by resetAlertData. */
export function alertsDatabase(): Promise<{ db: Database; url: string }> {
  shared ??= (async () => {
    const url = await createPostgresDatabase();
    const db = openPgDatabase({ connectionString: url, poolSize: 4, allowExitOnIdle: true });
    await migrate(db);
    return { db, url };
  })();
  return shared;
}

/** A second service instance's connection to the same database: its own pool. */
export async function secondConnection(): Promise<Database> {
  const { url } = await alertsDatabase();
  const other = openPgDatabase({ connectionString: url, poolSize: 4, allowExitOnIdle: true });
  extra.push(other);
  return other;
}

process.on('beforeExit', () => {
  for (const db of extra.splice(0)) void db.close();
});

export async function resetAlertData(db: Database): Promise<void> {
  await db.exec(`TRUNCATE users, accounts, alert_incidents, alert_link_uses, probe_hosts CASCADE;
    DELETE FROM service_state WHERE key IN ('ingest_alive_at', 'ingest_resumed_at');`);
}

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  header(name: string): string | undefined;
}

/** A real SMTP server on 127.0.0.1:<random port> that keeps what it receives. */
export async function startSmtpSink(options: { rejectRecipient?: (address: string) => boolean } = {}) {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipient?.(address.address)) {
        const error = Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 });
        return callback(error);
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail: ParsedMail) => {
          received.push({
            to: Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? ''),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            messageId: mail.messageId ?? '',
            header: (name) => {
              // the raw header value, unfolded (mailparser turns some headers into objects)
              const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
              return line?.slice(line.indexOf(':') + 1).replace(/\r?\n\s+/g, ' ').trim();
            },
          });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    smtpOptions: { host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 2000, greetingTimeout: 2000, socketTimeout: 5000 },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;

export const STALE_AFTER_MS = 10 * 60_000;

/** Sweep + delivery + app for one test database, configured like production with test values. */
export async function createAlertHarness(options: {
  db?: Database;
  env?: Record<string, string>;
  clock?: Clock;
  smtp?: SmtpSink;
  transport?: MailTransport;
  /** Resolves the host names of probes and channel requests (tests/probes/: every name to loopback). */
  resolve?: Resolver;
}) {
  const db = options.db ?? (await alertsDatabase()).db;
  const clock = options.clock ?? createClock(new Date('2026-01-05T10:00:00Z'));
  // Probing is off unless a suite turns it on (tests/probes/): these suites test the flip itself.
  // Digests go out at the sweep (ALERT_GROUP_WINDOW=0) unless a suite sets a window (alert-groups.test.ts).
  const env = { STALE_AFTER: '10m', PUBLIC_URL: 'https://desk.example.test', SECRET_KEY: 'x'.repeat(40), PROBE: 'off', ALERT_GROUP_WINDOW: '0', ...options.env };
  const config = testConfig(env);
  const metrics = createMetrics();
  const { app } = await buildTestApp({ db, clock, env, metrics });
  const alertMetrics = app.alertMetrics;
  // Production's wiring (src/alerts/alert-pipeline.ts); the seams are the SMTP sink and the resolver.
  const pipeline = await createAlertPipeline({
    config,
    db,
    metrics,
    alertMetrics,
    serverSecret: app.serverSecret,
    now: clock.now,
    overrides: {
      transport: options.transport ?? createMailTransport({ smtp: options.smtp?.smtpOptions, outboxDir: `/tmp/agentdesk-test-outbox-${process.pid}` }),
      resolve: options.resolve,
    },
  });
  const { sweep, delivery, channels, compose, transport, probeWorker } = pipeline;

  // A site reports from the address it connected from (connectedBot): from another one within
  // STALE_AFTER it would be a copy of the site (docs/contract.md "Connection status").
  const sites = new Map<string, string>();
  const heartbeat = (token: string, body: Record<string, unknown> = {}) =>
    postHeartbeat(app, token, heartbeatBody({ ...(sites.has(token) ? { site_url: sites.get(token) } : {}), ...body }));

  return {
    db,
    app,
    clock,
    config,
    metrics,
    sweep,
    delivery,
    channels,
    compose,
    transport,
    probeWorker,
    heartbeat,
    /** One sweep at the clock's time, then delivery of everything due. */
    async sweepAndDeliver() {
      const result = await sweep.run(clock.now());
      const delivered = await delivery.deliverDue(clock.now());
      return { ...result, delivered };
    },
    /** A bot that has just sent a heartbeat (so it is connected), for a new or given owner. */
    async connectedBot(ownerId: string, name: string, site = `https://${name.toLowerCase().replace(/\W+/g, '-')}.example.com`) {
      const { bot, token } = await createBotFor(db, ownerId, { name });
      sites.set(token, site);
      const response = await heartbeat(token);
      if (response.statusCode !== 200) throw new Error(`heartbeat failed: ${response.body}`);
      return { bot, token };
    },
    async owner(overrides: { timezone?: string } = {}) {
      return (await createOwner(db, overrides)).user;
    },
    async outbox() {
      const { rows } = await db.query<{ id: number; kind: string; status: string; user_id: string | null; attempts: number; payload: { sites?: Array<{ id: string }> } }>(
        'SELECT id, kind, status, user_id, attempts, payload FROM alert_outbox ORDER BY id',
      );
      return rows;
    },
    async close() {
      pipeline.close();
      await app.close();
    },
  };
}

export type AlertHarness = Awaited<ReturnType<typeof createAlertHarness>>;

/**
 * The usual suite setup: one SMTP sink and harness per suite; before each test an empty database,
 * an empty mailbox and the clock back at 2026-01-05 10:00 UTC.
 */
export function useAlertSuite(
  test: Test<{ h: AlertHarness; smtp: SmtpSink }>,
  options: { env?: Record<string, string>; rejectRecipient?: (address: string) => boolean } = {},
) {
  test.before(async (ctx) => {
    ctx.smtp = await startSmtpSink({ rejectRecipient: options.rejectRecipient });
    ctx.h = await createAlertHarness({ smtp: ctx.smtp, env: options.env });
  });
  test.before.each(async (ctx) => {
    await resetAlertData(ctx.h.db);
    ctx.smtp.received.length = 0;
    ctx.h.clock.set(new Date('2026-01-05T10:00:00Z'));
  });
  test.after(async (ctx) => {
    await ctx.h.close();
    await ctx.smtp.close();
  });
}

// Bursts spread over time (alert groups, tests/alerts/alert-groups.test.ts and channel-groups.test.ts).

export type SpreadBot = { bot: { id: string; name: string }; token: string };

/** Connected bots of one owner whose last heartbeats are `spacingMs` apart (the clock moves on). */
export async function spreadBots(h: AlertHarness, ownerId: string, names: string[], spacingMs: number): Promise<SpreadBot[]> {
  const bots: SpreadBot[] = [];
  for (const name of names) {
    bots.push(await h.connectedBot(ownerId, name));
    h.clock.advance(spacingMs);
  }
  return bots;
}

/**
 * Moves the clock to `until` in 15 s steps: at each step the heartbeats due are sent, and once a
 * minute (at second 1) every harness sweeps and delivers, all at the same moment.
 */
export async function runUntil(instances: AlertHarness[], until: Date, heartbeats: Array<{ at: Date; token: string }> = []) {
  const clock = instances[0]!.clock;
  const queue = [...heartbeats].sort((a, b) => a.at.getTime() - b.at.getTime());
  while (clock.now().getTime() < until.getTime()) {
    clock.advance(15_000);
    const now = clock.now();
    for (const other of instances.slice(1)) other.clock.set(now);
    while (queue.length && queue[0]!.at.getTime() <= now.getTime()) {
      const response = await instances[0]!.heartbeat(queue.shift()!.token);
      assert.is(response.statusCode, 200);
    }
    if (Math.floor(now.getTime() / 1000) % 60 === 1) {
      await Promise.all(instances.map((h) => h.sweep.run(now)));
      await Promise.all(instances.map((h) => h.delivery.deliverDue(now)));
    }
  }
}

export const at = (base: Date, ms: number) => new Date(base.getTime() + ms);
export const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix} ${String(i + 1).padStart(2, '0')}`);

/** Heartbeats of a site that keeps reporting every 4 minutes after `start`. */
export const steadyBeats = (token: string, start: Date, count: number) =>
  Array.from({ length: count }, (_, i) => ({ at: at(start, (i + 1) * 4 * 60_000), token }));

/**
 * A storm with STORM_MIN=4: six sites of the owner fall silent together (6 of 9 connected), a
 * seventh two minutes later; a bystander's two sites keep reporting (`beats`).
 */
export async function stormScene(h: AlertHarness, ownerId: string) {
  const bystander = await h.owner();
  const start = h.clock.now();
  const together = await spreadBots(h, ownerId, names('Storm', 6), 0);
  h.clock.advance(2 * 60_000);
  const late = await h.connectedBot(ownerId, 'Late');
  const steady = [await h.connectedBot(bystander.id, 'Bystander A'), await h.connectedBot(bystander.id, 'Bystander B')];
  return { start, together, late, beats: steady.flatMap((b) => steadyBeats(b.token, start, 10)) };
}

/** A call to the owner API with a personal API key, as the channel suites make them. */
export async function ownerApi(h: AlertHarness, key: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) {
  const response = await h.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, headers: response.headers, json: response.json() as Record<string, any> };
}

export type ChannelSuiteCtx = {
  h: AlertHarness;
  smtp: SmtpSink;
  hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  slack: Awaited<ReturnType<typeof startSlackReceiver>>;
};

/** The settings that let the harness reach the local receivers (and name an SMTP server for contacts). */
export const receiverEnv = (ctx: Pick<ChannelSuiteCtx, 'hook' | 'slack' | 'smtp'>) => ({
  PROBE_ALLOW_PRIVATE: 'true',
  PROBE_PORTS: `${ctx.hook.port},${ctx.slack.port}`,
  SMTP_URL: `smtp://127.0.0.1:${ctx.smtp.port}`,
});

/**
 * The channel suites' setup: the SMTP sink, a webhook and a Slack receiver and one harness per
 * suite; before each test an empty database, empty receivers answering 200 "ok" and the clock back
 * at 2026-01-05 10:00 UTC.
 */
export function useChannelSuite(test: Test<ChannelSuiteCtx>, env: Record<string, string> = {}) {
  test.before(async (ctx) => {
    ctx.smtp = await startSmtpSink();
    ctx.hook = await startWebhookReceiver();
    ctx.slack = await startSlackReceiver();
    ctx.h = await createAlertHarness({ smtp: ctx.smtp, env: { ...receiverEnv(ctx), ...env } });
  });
  test.before.each(async (ctx) => {
    await resetAlertData(ctx.h.db);
    ctx.smtp.received.length = 0;
    ctx.hook.received.length = 0;
    ctx.hook.answer = 200;
    ctx.slack.received.length = 0;
    ctx.slack.mode = 'ok';
    ctx.h.clock.set(new Date('2026-01-05T10:00:00Z'));
  });
  test.after(async (ctx) => {
    await ctx.h.close();
    await ctx.smtp.close();
    await ctx.hook.close();
    await ctx.slack.close();
  });
}

// Email contacts confirm their address (docs/alerts.md, "Confirming an email contact").

/** The path and query of the confirmation link in a mail (the page is served by the harness's app). */
export function confirmLinkOf(mail: ReceivedMail): string {
  const link = /https?:\/\/\S+\/alerts\/confirm-contact\?t=\S+/.exec(mail.text)?.[0];
  if (!link) throw new Error(`no confirmation link in the mail to ${mail.to}`);
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

/** Delivers what is due, then follows the latest confirmation link mailed to `address` (POST: confirms). */
export async function confirmContact(h: AlertHarness, smtp: SmtpSink, address: string) {
  await h.delivery.deliverDue(h.clock.now());
  const mail = [...smtp.received].reverse().find((m) => m.to === address && m.text.includes('/alerts/confirm-contact'));
  if (!mail) throw new Error(`no confirmation mail to ${address}`);
  const response = await h.app.inject({ method: 'POST', url: confirmLinkOf(mail) });
  if (response.statusCode !== 200) throw new Error(`confirmation failed: ${response.statusCode} ${response.body.slice(0, 200)}`);
  smtp.received.splice(smtp.received.indexOf(mail), 1);
  return response;
}
