// The monthly uptime report by mail, end to end with a real SMTP server: opted in per client, queued
// once when the month is over in the owner's time zone, to the account email or to an email
// contact only once it has confirmed its address.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMonthlyReports } from '../../src/reports/monthly-reports.ts';
import { createUptimeReports } from '../../src/reports/uptime-reports.ts';
import { createOwner } from '../helpers/app.ts';
import { confirmContact, ownerApi, useChannelSuite, type ChannelSuiteCtx } from '../alerts/alert-harness.ts';

const test = suite<ChannelSuiteCtx>('monthly uptime reports by mail');
useChannelSuite(test);

const at = (iso: string) => new Date(iso);

async function clientWithSite(ctx: ChannelSuiteCtx) {
  const { h } = ctx;
  h.clock.set(at('2026-10-20T10:00:00Z'));
  const owner = await createOwner(h.db, { timezone: 'Europe/Berlin' });
  const client = (await ownerApi(h, owner.apiKey, 'POST', '/api/clients', { name: 'Bakery Ltd' })).json;
  const { bot } = await h.connectedBot(owner.user.id, 'Bakery shop');
  assert.is((await ownerApi(h, owner.apiKey, 'PUT', `/api/bots/${bot.id}`, { client_id: client.id })).status, 200);
  const reports = () => createMonthlyReports({ db: h.db, reports: createUptimeReports({ db: h.db, now: h.clock.now }) });
  return { owner, client, reports };
}

test('an opted-in client is reported once, on the 1st in the owner’s time zone, to the account email', async (ctx) => {
  const { h, smtp } = ctx;
  const { owner, client, reports } = await clientWithSite(ctx);
  const turnedOn = await ownerApi(h, owner.apiKey, 'PUT', `/api/clients/${client.id}/report`, { monthly: true });
  assert.is(turnedOn.status, 200, JSON.stringify(turnedOn.json));
  assert.equal([turnedOn.json.report_monthly, turnedOn.json.report_channel_id], [true, null]);

  // mid-month: nothing is due
  h.clock.set(at('2026-11-15T12:00:00Z'));
  assert.is(await reports().queueDue(h.clock.now()), 0);
  // 30 November 23:30 UTC is already 1 December in Berlin: November's report is due
  h.clock.set(at('2026-11-30T23:30:00Z'));
  assert.is(await reports().queueDue(h.clock.now()), 1);
  // a second run, or another instance, queues nothing more
  assert.is(await reports().queueDue(h.clock.now()), 0);
  await h.delivery.deliverDue(h.clock.now());
  assert.is(smtp.received.length, 1);
  const mail = smtp.received[0]!;
  assert.is(mail.to, owner.user.email);
  // a fixed subject; the client's name and the figures are in the body
  assert.is(mail.subject, 'Monthly uptime report for 2026-11');
  assert.match(mail.text, /Uptime report for Bakery Ltd, 2026-11 \(Europe\/Berlin\)/);
  assert.match(mail.text, /All sites: 100 % up/);
  assert.match(mail.text, /\* Bakery shop: 100 % up/);
  assert.match(mail.text, /Stop these emails: /);
});

test('a client that did not opt in gets nothing', async (ctx) => {
  const { h, smtp } = ctx;
  const { reports } = await clientWithSite(ctx);
  h.clock.set(at('2026-12-01T08:00:00Z'));
  assert.is(await reports().queueDue(h.clock.now()), 0);
  await h.delivery.deliverDue(h.clock.now());
  assert.equal(smtp.received, []);
});

test('to an email contact only once it has confirmed its address, and without the owner’s links', async (ctx) => {
  const { h, smtp } = ctx;
  const { owner, client, reports } = await clientWithSite(ctx);
  const contact = (await ownerApi(h, owner.apiKey, 'POST', '/api/channels', { kind: 'email', name: 'Bakery office', target: 'office@bakery.example' })).json;
  const set = await ownerApi(h, owner.apiKey, 'PUT', `/api/clients/${client.id}/report`, { monthly: true, channel_id: contact.channel.id });
  assert.is(set.json.report_channel_id, contact.channel.id);
  // November: the contact has not confirmed, so its report is not sent
  h.clock.set(at('2026-12-01T08:00:00Z'));
  assert.is(await reports().queueDue(h.clock.now()), 1);
  await h.delivery.deliverDue(h.clock.now());
  assert.not.ok(smtp.received.some((m) => m.subject.startsWith('Monthly uptime report')));
  // it confirms; December's report reaches it
  await confirmContact(h, smtp, 'office@bakery.example');
  smtp.received.length = 0;
  h.clock.set(at('2027-01-01T08:00:00Z'));
  assert.is(await reports().queueDue(h.clock.now()), 1);
  await h.delivery.deliverDue(h.clock.now());
  const mail = smtp.received.find((m) => m.subject === 'Monthly uptime report for 2026-12');
  assert.ok(mail);
  assert.is(mail.to, 'office@bakery.example');
  assert.not.match(mail.text, /Stop these emails/);
  // another owner's contact, or a webhook, is refused
  const stranger = await createOwner(h.db);
  const theirs = (await ownerApi(h, stranger.apiKey, 'POST', '/api/channels', { kind: 'email', name: 'Theirs', target: 'x@stranger.example' })).json;
  assert.is((await ownerApi(h, owner.apiKey, 'PUT', `/api/clients/${client.id}/report`, { monthly: true, channel_id: theirs.channel.id })).status, 404);
  assert.is((await ownerApi(h, owner.apiKey, 'PUT', `/api/clients/${client.id}/report`, { monthly: 'yes' })).status, 400);
});

test.run();
