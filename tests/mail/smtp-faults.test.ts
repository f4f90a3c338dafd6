// SMTP faults (docs/RELIABILITY.md "Faults") beyond a refused connection and a permanent 550 (both in
// delivery.test.ts): a server that never greets, and one that takes the message but never
// answers it, are cut off by the transport's timeouts; the mail stays pending with a backoff and
// is delivered exactly once when a working server is there.
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createDelivery } from '../../src/alerts/delivery.ts';
import { createMailTransport } from '../../src/mail/mail-transport.ts';
import { STALE_AFTER_MS, type AlertHarness, type SmtpSink, useAlertSuite } from '../alerts/alert-harness.ts';

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('SMTP faults');
useAlertSuite(test);

async function queueStaleMail(h: AlertHarness) {
  const owner = await h.owner();
  await h.connectedBot(owner.id, 'Slow mail');
  h.clock.advance(STALE_AFTER_MS + 60_000);
  const result = await h.sweep.run(h.clock.now());
  if (result.staleMails !== 1) throw new Error('expected one queued mail');
}

/** Tries one delivery through a server at `port` with short timeouts; returns the counts. */
async function deliverThrough(h: AlertHarness, smtp: SmtpSink, port: number) {
  const transport = createMailTransport({
    smtp: { ...smtp.smtpOptions, port, connectionTimeout: 500, greetingTimeout: 500, socketTimeout: 500 },
    outboxDir: '/nonexistent',
  });
  try {
    return await createDelivery({ db: h.db, transport, compose: h.compose }).deliverDue(h.clock.now());
  } finally {
    transport.close();
  }
}

async function listen(server: net.Server | SMTPServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = (server instanceof SMTPServer ? server.server : server).address() as net.AddressInfo;
  return address.port;
}

test('a server that accepts the connection but never greets: retried later, then delivered once', async ({ h, smtp }) => {
  await queueStaleMail(h);
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => void sockets.push(socket));
  const port = await listen(silent);
  try {
    const result = await deliverThrough(h, smtp, port);
    // a transient failure: pending, one attempt, a backoff
    assert.equal(result, { sent: 0, retried: 1, failed: 0, dropped: 0 });
    const [row] = await h.outbox();
    assert.is(row!.status, 'pending');
    assert.is(row!.attempts, 1);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
  h.clock.advance(30_000);
  const back = await h.delivery.deliverDue(h.clock.now());
  h.clock.advance(3_600_000);
  await h.delivery.deliverDue(h.clock.now());
  // the working server gets it exactly once
  assert.is(back.sent, 1);
  assert.is(smtp.received.length, 1);
});

test('a server that takes the message and never answers: timed out, not counted as sent, delivered once later', async ({ h, smtp }) => {
  await queueStaleMail(h);
  const stalled = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // reads the message, never says 250
    onData(stream) {
      stream.resume();
    },
  });
  const port = await listen(stalled);
  try {
    const result = await deliverThrough(h, smtp, port);
    // the socket timeout makes it a retry, not a success and not a permanent failure
    assert.equal(result, { sent: 0, retried: 1, failed: 0, dropped: 0 });
    assert.is((await h.outbox())[0]!.status, 'pending');
  } finally {
    await new Promise<void>((resolve) => stalled.close(() => resolve()));
  }
  h.clock.advance(30_000);
  await h.delivery.deliverDue(h.clock.now());
  h.clock.advance(3_600_000);
  await h.delivery.deliverDue(h.clock.now());
  // delivered once, marked sent
  assert.is(smtp.received.length, 1);
  assert.is((await h.outbox())[0]!.status, 'sent');
});

test.run();
