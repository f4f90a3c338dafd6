import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createDelivery } from '../../src/alerts/delivery.ts';
import { createMailTransport } from '../../src/mail/mail-transport.ts';
import { claimDueMails } from '../../src/db/outbox.ts';
import { createClock } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import { createAlertHarness, secondConnection, STALE_AFTER_MS, startSmtpSink, type AlertHarness, type SmtpSink, useAlertSuite } from './alert-harness.ts';

const MINUTE = 60_000;

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('outbox delivery');

useAlertSuite(test, { rejectRecipient: (address) => address.startsWith('bounce') });

/** One owner with one bot that has just gone stale (mail queued, not yet delivered). */
async function queueStaleMail(h: AlertHarness) {
  const owner = await h.owner();
  await h.connectedBot(owner.id, 'Queued');
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  const result = await h.sweep.run(h.clock.now());
  if (result.staleMails !== 1) throw new Error('expected one queued mail');
  return owner;
}

test('keeps mails pending while SMTP refuses connections, then delivers each exactly once when it is back', async ({ h, smtp }) => {
  await queueStaleMail(h);
  // a closed loopback port: connections are refused
  const down = await startSmtpSink();
  const deadPort = down.port;
  await down.close();
  const refusing = createMailTransport({ smtp: { ...smtp.smtpOptions, port: deadPort }, outboxDir: '/nonexistent' });
  const failing = createDelivery({ db: h.db, transport: refusing, compose: h.compose });
  const first = await failing.deliverDue(h.clock.now());
  // the attempt failed transiently: the mail waits with a backoff
  assert.equal(first, { sent: 0, retried: 1, failed: 0, dropped: 0 });
  let [row] = await h.outbox();
  assert.is(row!.status, 'pending');
  assert.is(row!.attempts, 1);
  const second = await failing.deliverDue(h.clock.now());
  // not retried before its backoff has passed
  assert.is(second.retried, 0);
  h.clock.advance(30_000);
  await failing.deliverDue(h.clock.now());
  [row] = await h.outbox();
  // retried after 30 s, failing again: the backoff doubles, the mail is still pending
  assert.is(row!.attempts, 2);
  assert.is(row!.status, 'pending');
  refusing.close();
  h.clock.advance(60_000);
  const back = await h.delivery.deliverDue(h.clock.now());
  await h.delivery.deliverDue(h.clock.now());
  h.clock.advance(3_600_000);
  await h.delivery.deliverDue(h.clock.now());
  // SMTP is back: the mail arrives exactly once
  assert.is(back.sent, 1);
  assert.is(smtp.received.length, 1);
  [row] = await h.outbox();
  assert.is(row!.status, 'sent');
});

test('still sends the mail once when the process crashed between enqueue and send', async ({ h, smtp }) => {
  await queueStaleMail(h);
  // "restart": a brand-new delivery worker (and transport) picks up the queued row
  const transport = createMailTransport({ smtp: smtp.smtpOptions, outboxDir: '/nonexistent' });
  const restarted = createDelivery({ db: h.db, transport, compose: h.compose });
  await restarted.deliverDue(h.clock.now());
  await restarted.deliverDue(h.clock.now());
  transport.close();
  // one mail, no duplicate from a later sweep either
  await h.sweepAndDeliver();
  assert.is(smtp.received.length, 1);
});

test('resends a mail whose worker died mid-send only after its lease ran out, with the same Message-ID', async ({ h, smtp }) => {
  await queueStaleMail(h);
  const claimed = await claimDueMails(h.db, h.clock.now(), 5 * MINUTE, 10);
  // the dead worker had claimed it
  assert.is(claimed.length, 1);
  await h.delivery.deliverDue(h.clock.now());
  // while the lease runs, nobody else sends it
  assert.is(smtp.received.length, 0);
  h.clock.advance(5 * MINUTE + 1000);
  await h.delivery.deliverDue(h.clock.now());
  await h.delivery.deliverDue(h.clock.now());
  // after the lease, it goes out once, with a Message-ID derived from the outbox row
  assert.is(smtp.received.length, 1);
  assert.is(smtp.received[0]!.messageId, `<alert-${claimed[0]!.id}.stale@desk.example.test>`);
});

test('marks a permanently rejected mail failed and does not retry it', async ({ h, smtp }) => {
  const owner = await queueStaleMail(h);
  await h.db.query('UPDATE users SET email = $2 WHERE id = $1', [owner.id, `bounce-${owner.id}@example.test`]);
  const result = await h.delivery.deliverDue(h.clock.now());
  // the 550 reply is permanent
  assert.is(result.failed, 1);
  const [row] = await h.outbox();
  assert.is(row!.status, 'failed');
  h.clock.advance(24 * 3_600_000);
  await h.delivery.deliverDue(h.clock.now());
  // never retried, and counted in the metric
  assert.is(smtp.received.length, 0);
  const metrics = await h.metrics.registry.getSingleMetricAsString('agentdesk_alert_emails_total');
  assert.match(metrics, /agentdesk_alert_emails_total\{kind="stale",result="failed"\} 1/);
  // and shown to the owner on the bot's page, with the server's answer
  const browser = await loggedIn(h.app, `bounce-${owner.id}@example.test`, 'correct horse battery');
  const page = await browser.get(`/bots/${row!.payload.sites![0]!.id}`);
  assert.match(page.body, /Stale alert<\/td><td class="error">Failed: the mail server refused it \(.*No such user here/);
});

test('drops a queued mail when the owner unsubscribed before it was sent', async ({ h, smtp }) => {
  const owner = await queueStaleMail(h);
  await h.db.query('UPDATE users SET alert_emails = false WHERE id = $1', [owner.id]);
  const result = await h.delivery.deliverDue(h.clock.now());
  // dropped, not sent
  assert.is(result.dropped, 1);
  assert.is(smtp.received.length, 0);
});

test('writes .eml files under the outbox directory when there is no SMTP server', async ({ h }) => {
  await queueStaleMail(h);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-outbox-'));
  const files = createMailTransport({ outboxDir: dir });
  await createDelivery({ db: h.db, transport: files, compose: h.compose }).deliverDue(h.clock.now());
  const written = fs.readdirSync(dir);
  // one RFC 822 file per mail, with the headers
  assert.is(written.length, 1);
  const raw = fs.readFileSync(path.join(dir, written[0]!), 'utf8');
  assert.match(raw, /^Subject: A site stopped reporting to AgentDesk$/m);
  assert.match(raw, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sends one mail when two instances sweep and deliver at the same moment on one database', async ({ h, smtp }) => {
  const owner = await h.owner();
  for (const name of ['One', 'Two']) await h.connectedBot(owner.id, name);
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  const otherDb = await secondConnection();
  const other = await createAlertHarness({ db: otherDb, smtp, clock: createClock(h.clock.now()) });
  const results = await Promise.all([h.sweep.run(h.clock.now()), other.sweep.run(h.clock.now())]);
  await Promise.all([h.delivery.deliverDue(h.clock.now()), other.delivery.deliverDue(h.clock.now())]);
  await other.close();
  // between them the two bots flipped once, and the owner got one mail
  assert.is(results[0]!.flipped + results[1]!.flipped, 2);
  assert.is(smtp.received.length, 1);
});

test.run();
