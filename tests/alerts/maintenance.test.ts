// Maintenance windows (docs/alerts.md "Maintenance windows") on the real database, SMTP server and app: opened through the owner
// API, the bot token and the bot page; no stale alert inside a window, an alert after it; weekly
// windows in the owner's zone across a DST change; isolation between owners; the 7-day cap.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findOwnedBot } from '../../src/db/bots.ts';
import { createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import { STALE_AFTER_MS, type AlertHarness, type SmtpSink, useAlertSuite } from './alert-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('maintenance windows');
useAlertSuite(test);

function api(h: AlertHarness, key: string, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) {
  return h.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
}

function fromSite(h: AlertHarness, token: string | undefined, body: unknown) {
  return h.app.inject({
    method: 'POST',
    url: '/api/bots/wordpress-maintenance',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-bot-token': token } : {}) },
    payload: JSON.stringify(body),
  });
}

test('a window opened through the API holds the stale alert, and the site still silent after it is alerted', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db);
  const { bot } = await h.connectedBot(user.id, 'Deploying shop');
  const opened = await api(h, apiKey, 'POST', `/api/bots/${bot.id}/maintenance`, { minutes: 60, reason: 'theme deploy' });
  // 200 with the end of the window, an hour from now
  assert.is(opened.statusCode, 200, opened.body);
  assert.is(opened.json().until, new Date(h.clock.now().getTime() + HOUR).toISOString());
  // the bot JSON, detail and list, says until when
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, opened.json().until);
  assert.is((await api(h, apiKey, 'GET', '/api/bots')).json().bots[0].maintenance_until, opened.json().until);

  h.clock.advance(STALE_AFTER_MS + MINUTE);
  const inside = await h.sweepAndDeliver();
  // the site is stale (the connection status is unchanged), but nobody is mailed
  assert.is(inside.flipped, 1);
  assert.is(inside.staleMails, 0);
  assert.is(smtp.received.length, 0);
  assert.is((await findOwnedBot(h.db, user.id, bot.id))?.connection_status, 'stale');
  // and the JSON still shows the window
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, opened.json().until);

  h.clock.advance(30 * MINUTE);
  await h.sweepAndDeliver();
  // still inside: still nothing
  assert.is(smtp.received.length, 0);

  h.clock.advance(20 * MINUTE); // the window ended a minute ago
  const after = await h.sweepAndDeliver();
  // the site still silent is alerted normally, once
  assert.is(after.maintenanceMails, 1);
  assert.is(smtp.received.length, 1);
  assert.is(smtp.received[0]!.to, user.email);
  // the site named in the body; the subject is fixed text
  assert.is(smtp.received[0]!.subject, 'A site stopped reporting to AgentDesk');
  assert.ok(smtp.received[0]!.text.includes('Deploying shop'));
  // the window is gone from the JSON
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, null);
  await h.sweepAndDeliver();
  h.clock.advance(HOUR);
  await h.sweepAndDeliver();
  // never twice
  assert.is(smtp.received.length, 1);
});

test('a window opened by the site with its bot token: a site back before the end is never mentioned', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db);
  const { bot, token } = await h.connectedBot(user.id, 'Token shop');
  const opened = await fromSite(h, token, { minutes: 30 });
  // 200 with the end of the window
  assert.is(opened.statusCode, 200, opened.body);
  assert.equal(opened.json(), { success: true, until: new Date(h.clock.now().getTime() + 30 * MINUTE).toISOString() });
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, opened.json().until);

  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweepAndDeliver();
  // stale inside the window, no mail
  assert.is((await findOwnedBot(h.db, user.id, bot.id))?.connection_status, 'stale');
  assert.is(smtp.received.length, 0);
  h.clock.advance(14 * MINUTE);
  // the deploy is over and the site reports again before the window ends (5 minutes left)
  assert.is((await h.heartbeat(token)).statusCode, 200);
  await h.sweepAndDeliver();
  h.clock.advance(7 * MINUTE);
  // after the window, still reporting
  assert.is((await h.heartbeat(token)).statusCode, 200);
  await h.sweepAndDeliver();
  // no stale mail and no recovery mail: the owner was never told it was down
  assert.is(smtp.received.length, 0);
  assert.equal((await h.outbox()).map((row) => row.kind), []);
});

test('the bot-token endpoint refuses bad tokens (counted like the heartbeat), bad minutes and disabled bots', async ({ h }) => {
  const { user } = await createOwner(h.db);
  const { bot, token } = await h.connectedBot(user.id, 'Strict shop');
  // an unknown token: 401 in the seed's error shape
  const unknown = await fromSite(h, `bot_${'A'.repeat(43)}`, { minutes: 30 });
  assert.is(unknown.statusCode, 401);
  assert.equal(unknown.json(), { success: false, message: 'Missing or invalid bot token' });
  // no token at all
  assert.is((await fromSite(h, undefined, { minutes: 30 })).statusCode, 401);
  // more than 7 days, zero, a word: 400 naming the field
  for (const minutes of [10_081, 0, 'soon']) {
    const refused = await fromSite(h, token, { minutes });
    assert.is(refused.statusCode, 400, String(minutes));
    assert.match(refused.json().message, /minutes/);
  }
  // exactly 7 days is allowed
  assert.is((await fromSite(h, token, { minutes: 10_080 })).statusCode, 200);
  // a disabled bot: 403
  await h.db.query('UPDATE bots SET is_active = false WHERE id = $1', [bot.id]);
  assert.is((await fromSite(h, token, { minutes: 30 })).statusCode, 403);
});

test('owner B can neither set nor clear owner A\'s window, nor name A\'s bot in a group window', async ({ h }) => {
  const a = await createOwner(h.db);
  const b = await createOwner(h.db);
  const { bot } = await h.connectedBot(a.user.id, 'A shop');
  const { bot: bBot } = await h.connectedBot(b.user.id, 'B shop');
  // setting and clearing through B's key: 404, as for a missing bot
  assert.is((await api(h, b.apiKey, 'POST', `/api/bots/${bot.id}/maintenance`, { minutes: 30 })).statusCode, 404);
  assert.is((await api(h, a.apiKey, 'POST', `/api/bots/${bot.id}/maintenance`, { minutes: 30 })).statusCode, 200);
  assert.is((await api(h, b.apiKey, 'DELETE', `/api/bots/${bot.id}/maintenance`)).statusCode, 404);
  // a group window naming A's bot among B's own: refused whole, B's bot untouched too
  const group = await api(h, b.apiKey, 'POST', '/api/maintenance', { minutes: 30, bot_ids: [bBot.id, bot.id] });
  assert.is(group.statusCode, 404);
  assert.is((await findOwnedBot(h.db, b.user.id, bBot.id))?.one_off_maintenance_until, null);
  // A's window is still there, as A set it
  const aBot = await findOwnedBot(h.db, a.user.id, bot.id);
  assert.is(aBot?.one_off_maintenance_until?.getTime(), h.clock.now().getTime() + 30 * MINUTE);
  // B's weekly window list does not show A's, and B cannot delete it
  const schedule = await api(h, a.apiKey, 'POST', '/api/maintenance/schedules', { weekday: 1, start: '09:00', minutes: 60 });
  assert.is(schedule.statusCode, 201, schedule.body);
  assert.equal((await api(h, b.apiKey, 'GET', '/api/maintenance/schedules')).json(), { schedules: [] });
  assert.is((await api(h, b.apiKey, 'DELETE', `/api/maintenance/schedules/${schedule.json().id}`)).statusCode, 404);
  assert.is((await api(h, a.apiKey, 'GET', '/api/maintenance/schedules')).json().schedules.length, 1);
  // nor attach a weekly window to A's bot
  assert.is((await api(h, b.apiKey, 'POST', '/api/maintenance/schedules', { weekday: 1, start: '09:00', minutes: 60, bot_id: bot.id })).statusCode, 404);
});

test('windows are capped at 7 days on every owner endpoint', async ({ h }) => {
  const { user, apiKey } = await createOwner(h.db);
  const { bot } = await h.connectedBot(user.id, 'Capped');
  for (const [url, extra] of [[`/api/bots/${bot.id}/maintenance`, {}], ['/api/maintenance', {}], ['/api/maintenance/schedules', { weekday: 1, start: '09:00' }]] as const) {
    const refused = await api(h, apiKey, 'POST', url, { minutes: 10_081, ...extra });
    // 400 for one minute more than 7 days
    assert.is(refused.statusCode, 400, url);
    assert.match(refused.json().message, /minutes/, url);
    // 7 days exactly is accepted
    assert.ok([200, 201].includes((await api(h, apiKey, 'POST', url, { minutes: 10_080, ...extra })).statusCode), url);
  }
});

test('POST /api/maintenance without bot_ids covers all the owner\'s bots and nobody else\'s', async ({ h }) => {
  const { user, apiKey } = await createOwner(h.db);
  const other = await createOwner(h.db);
  const one = (await h.connectedBot(user.id, 'One')).bot;
  const two = (await h.connectedBot(user.id, 'Two')).bot;
  const theirs = (await h.connectedBot(other.user.id, 'Theirs')).bot;
  const response = await api(h, apiKey, 'POST', '/api/maintenance', { minutes: 120 });
  // both of the owner's bots, listed in the answer
  assert.is(response.statusCode, 200, response.body);
  assert.equal([...response.json().bot_ids].sort(), [one.id, two.id].sort());
  for (const id of [one.id, two.id]) assert.is((await findOwnedBot(h.db, user.id, id))?.one_off_maintenance_until?.toISOString(), response.json().until);
  // the other owner's bot has none
  assert.is((await findOwnedBot(h.db, other.user.id, theirs.id))?.one_off_maintenance_until, null);
});

function endFromSite(h: AlertHarness, token: string | undefined) {
  return h.app.inject({
    method: 'POST',
    url: '/api/bots/wordpress-maintenance/end',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-bot-token': token } : {}) },
    payload: '{}',
  });
}

test('the site ends its own window with its bot token: a site still silent is alerted at the next sweep', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db);
  const { bot, token } = await h.connectedBot(user.id, 'Deploy done');
  const other = await h.connectedBot(user.id, 'Other shop');
  await fromSite(h, token, { minutes: 600 });
  await fromSite(h, other.token, { minutes: 600 });
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweepAndDeliver();
  // both silent inside their windows: nothing mailed
  assert.is(smtp.received.length, 0);
  const ended = await endFromSite(h, token);
  // 200 saying what happened; only this site's window ended
  assert.is(ended.statusCode, 200, ended.body);
  assert.equal(ended.json(), { success: true, ended: true, message: 'Maintenance ended: a site still silent is alerted as usual. Weekly windows stay and apply again next time.' });
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, null);
  assert.ok((await api(h, apiKey, 'GET', `/api/bots/${other.bot.id}`)).json().maintenance_until);
  await h.sweepAndDeliver();
  // the still silent site is mailed; the other stays held
  assert.is(smtp.received.length, 1);
  assert.match(smtp.received[0]!.text, 'Deploy done');
  assert.not.match(smtp.received[0]!.text, 'Other shop');
  // again: nothing to end, still a 200
  assert.equal((await endFromSite(h, token)).json(), { success: true, ended: false, message: 'Nothing to end: the bot is not in a maintenance window.' });
  // a bad token is a 401, a disabled bot a 403, as on the heartbeat
  assert.is((await endFromSite(h, `bot_${'A'.repeat(43)}`)).statusCode, 401);
  assert.is((await endFromSite(h, undefined)).statusCode, 401);
  await h.db.query('UPDATE bots SET is_active = false WHERE id = $1', [other.bot.id]);
  assert.is((await endFromSite(h, other.token)).statusCode, 403);
  assert.ok((await api(h, apiKey, 'GET', `/api/bots/${other.bot.id}`)).json().maintenance_until);
});

test('ending a window early: the silent site is alerted at the next sweep', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db);
  const { bot } = await h.connectedBot(user.id, 'Ended early');
  await api(h, apiKey, 'POST', `/api/bots/${bot.id}/maintenance`, { minutes: 600 });
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  await h.sweepAndDeliver();
  // held inside the window
  assert.is(smtp.received.length, 0);
  const ended = await api(h, apiKey, 'DELETE', `/api/bots/${bot.id}/maintenance`);
  assert.is(ended.statusCode, 200);
  await h.sweepAndDeliver();
  // mailed once the window is gone
  assert.is(smtp.received.length, 1);
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, null);
});

test('a weekly window follows the owner\'s local time across the DST change (Europe/Berlin)', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db, { timezone: 'Europe/Berlin' });
  // Mondays 09:00-11:00 Berlin time
  const created = await api(h, apiKey, 'POST', '/api/maintenance/schedules', { weekday: 1, start: '09:00', minutes: 120, reason: 'weekly updates' });
  assert.is(created.statusCode, 201, created.body);
  assert.is(created.json().time_zone, 'Europe/Berlin');

  // Monday 30 March 2026, the day after the change: 09:00 CEST is 07:00 UTC
  h.clock.set(new Date('2026-03-30T06:55:00Z'));
  const { bot } = await h.connectedBot(user.id, 'Weekly shop');
  h.clock.set(new Date('2026-03-30T07:10:00Z'));
  const inside = await h.sweepAndDeliver();
  // stale at 07:05 UTC, inside the window: no mail; the JSON says it ends at 09:00 UTC (11:00 CEST)
  assert.is(inside.flipped, 1);
  assert.is(smtp.received.length, 0);
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, '2026-03-30T09:00:00.000Z');
  h.clock.set(new Date('2026-03-30T08:59:00Z'));
  await h.sweepAndDeliver();
  // 10:59 CEST: still inside (a fixed winter offset would have ended it at 08:00 UTC... and started it at 08:00)
  assert.is(smtp.received.length, 0);
  h.clock.set(new Date('2026-03-30T09:01:00Z'));
  await h.sweepAndDeliver();
  // after 11:00 CEST the site still silent is alerted
  assert.is(smtp.received.length, 1);
  assert.ok(smtp.received[0]!.text.includes('Weekly shop'));
});

test('the same weekly window a week earlier (CET) has not started at 07:10 UTC: the alert is not held', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db, { timezone: 'Europe/Berlin' });
  await api(h, apiKey, 'POST', '/api/maintenance/schedules', { weekday: 1, start: '09:00', minutes: 120 });
  // Monday 23 March 2026: 09:00 CET is 08:00 UTC
  h.clock.set(new Date('2026-03-23T06:55:00Z'));
  const { bot } = await h.connectedBot(user.id, 'Winter shop');
  h.clock.set(new Date('2026-03-23T07:10:00Z'));
  await h.sweepAndDeliver();
  // outside the window: mailed at once
  assert.is(smtp.received.length, 1);
  // at 08:30 UTC the window runs, until 10:00 UTC
  h.clock.set(new Date('2026-03-23T08:30:00Z'));
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, '2026-03-23T10:00:00.000Z');
});

test('a window longer than a day: the owner is mailed once, a day before it ends', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db, { timezone: 'Europe/Paris' });
  const { bot, token } = await h.connectedBot(user.id, 'Long job');
  await api(h, apiKey, 'POST', `/api/bots/${bot.id}/maintenance`, { minutes: 3 * 24 * 60, reason: 'migration' });
  // the site keeps reporting: the notice is about the window, not about silence
  h.clock.advance(2 * DAY - MINUTE);
  await h.heartbeat(token);
  const early = await h.sweepAndDeliver();
  // more than a day left: nothing
  assert.is(early.endingNotices, 0);
  h.clock.advance(2 * MINUTE);
  await h.heartbeat(token);
  const due = await h.sweepAndDeliver();
  // now under a day left: one mail through the outbox
  assert.is(due.endingNotices, 1);
  assert.is(smtp.received.length, 1);
  const mail = smtp.received[0]!;
  assert.is(mail.subject, 'The maintenance window of one of your sites ends within a day');
  assert.ok(mail.text.includes('Long job'));
  // it says when, in the owner's zone, and why
  assert.ok(mail.text.includes('8 Jan 2026, 11:00 (Europe/Paris)'), mail.text);
  assert.ok(mail.text.includes('migration'));
  assert.is((await h.outbox()).filter((row) => row.kind === 'maintenance_ending').length, 1);
  h.clock.advance(HOUR);
  await h.heartbeat(token);
  await h.sweepAndDeliver();
  // only once
  assert.is(smtp.received.length, 1);
});

test('a window of a day or less earns no ending mail', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db);
  const { bot, token } = await h.connectedBot(user.id, 'Short job');
  await api(h, apiKey, 'POST', `/api/bots/${bot.id}/maintenance`, { minutes: 24 * 60 });
  for (let i = 0; i < 4; i++) {
    h.clock.advance(5 * HOUR);
    await h.heartbeat(token);
    await h.sweepAndDeliver();
  }
  // nothing mailed over the whole day
  assert.is(smtp.received.length, 0);
});

test('bots in a window never count towards a storm', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db);
  for (let i = 0; i < 25; i++) await h.connectedBot(user.id, `Fleet ${i}`);
  await api(h, apiKey, 'POST', '/api/maintenance', { minutes: 60 });
  h.clock.advance(STALE_AFTER_MS + MINUTE);
  const result = await h.sweepAndDeliver();
  // all 25 flip, but no incident opens and nothing is mailed
  assert.is(result.flipped, 25);
  assert.is(result.storm, false);
  assert.is(smtp.received.length, 0);
  h.clock.advance(HOUR);
  const after = await h.sweepAndDeliver();
  // after the window: one digest of the 25 still silent
  assert.is(after.maintenanceMails, 1);
  assert.is(smtp.received.length, 1);
  assert.match(smtp.received[0]!.subject, /25 of your sites/);
});

test('the bot page opens and ends a window (session + CSRF) and says "Maintenance"', async ({ h }) => {
  const { user, password } = await createOwner(h.db);
  const { bot } = await h.connectedBot(user.id, 'Page shop');
  const b = await loggedIn(h.app, user.email, password);
  await b.get(`/bots/${bot.id}`);
  // without the CSRF token: refused
  assert.is((await b.post(`/bots/${bot.id}/maintenance`, { minutes: '60', _csrf: null })).statusCode, 403);
  const opened = await b.post(`/bots/${bot.id}/maintenance`, { minutes: '60', reason: 'plugin update' });
  assert.is(opened.statusCode, 303);
  const page = await b.get(`/bots/${bot.id}`);
  // the badge and the card say maintenance, with the reason
  assert.ok(page.body.includes('🛠 Maintenance'));
  assert.ok(page.body.includes('In maintenance until'));
  assert.ok(page.body.includes('plugin update'));
  // the list says it too
  assert.ok((await b.get('/bots')).body.includes('🛠 Maintenance'));
  // over 7 days from the form: refused
  assert.is((await b.post(`/bots/${bot.id}/maintenance`, { minutes: '10081' })).statusCode, 400);
  await b.get(`/bots/${bot.id}`);
  assert.is((await b.post(`/bots/${bot.id}/maintenance/end`)).statusCode, 303);
  // ended
  assert.not.ok((await b.get(`/bots/${bot.id}`)).body.includes('In maintenance until'));
});

test('the maintenance page adds and deletes weekly windows and opens one for all bots (session + CSRF)', async ({ h }) => {
  const { user, password, apiKey } = await createOwner(h.db, { timezone: 'Europe/Berlin' });
  const other = await createOwner(h.db);
  const { bot } = await h.connectedBot(user.id, 'Page bot');
  const b = await loggedIn(h.app, user.email, password);
  const empty = await b.get('/maintenance');
  // the page, in the owner's zone, with no weekly window yet
  assert.is(empty.statusCode, 200);
  assert.ok(empty.body.includes('Europe/Berlin'));
  assert.ok(empty.body.includes('No weekly window.'));
  // without the CSRF token: refused
  assert.is((await b.post('/maintenance/schedules', { weekday: '7', start: '02:00', minutes: '120', _csrf: null })).statusCode, 403);
  const added = await b.post('/maintenance/schedules', { weekday: '7', start: '02:00', minutes: '120', bot_id: bot.id, reason: 'backups' });
  assert.is(added.statusCode, 303);
  const listed = await b.get('/maintenance?done=added');
  // listed with its bot and reason
  assert.ok(listed.body.includes('Sunday 02:00'));
  assert.ok(listed.body.includes('Page bot'));
  assert.ok(listed.body.includes('backups'));
  // a bad time is shown back as a 400 with the reason
  const bad = await b.post('/maintenance/schedules', { weekday: '7', start: '25:00', minutes: '60' });
  assert.is(bad.statusCode, 400);
  assert.ok(bad.body.includes('start must be a local time HH:MM'));
  const [schedule] = (await api(h, apiKey, 'GET', '/api/maintenance/schedules')).json().schedules;
  // another owner cannot delete it from their session
  const intruder = await loggedIn(h.app, other.user.email, other.password);
  assert.is((await intruder.post(`/maintenance/schedules/${schedule.id}/delete`)).statusCode, 404);
  await b.get('/maintenance');
  assert.is((await b.post(`/maintenance/schedules/${schedule.id}/delete`)).statusCode, 303);
  // deleted
  assert.equal((await api(h, apiKey, 'GET', '/api/maintenance/schedules')).json().schedules, []);
  await b.get('/maintenance');
  assert.is((await b.post('/maintenance/window', { minutes: '60' })).statusCode, 303);
  // all the owner's bots are in maintenance
  assert.ok((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until);
});

test('"End maintenance now" ends a running weekly occurrence: the silent site is alerted after the end, not before, and next week\'s occurrence still applies (DST week)', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db, { timezone: 'Europe/Berlin' });
  // Sundays 02:00-04:00 Berlin time, all bots: on 22 March 2026 (CET) that is 01:00-03:00 UTC
  const created = await api(h, apiKey, 'POST', '/api/maintenance/schedules', { weekday: 7, start: '02:00', minutes: 120, reason: 'backups' });
  assert.is(created.statusCode, 201, created.body);
  h.clock.set(new Date('2026-03-22T00:55:00Z'));
  const { bot, token } = await h.connectedBot(user.id, 'Early shop');
  h.clock.set(new Date('2026-03-22T01:20:00Z'));
  const inside = await h.sweepAndDeliver();
  // silent since 00:55, stale inside the window: flipped, nobody mailed
  assert.is(inside.flipped, 1);
  assert.is(smtp.received.length, 0);
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, '2026-03-22T03:00:00.000Z');

  h.clock.set(new Date('2026-03-22T01:30:00Z'));
  const ended = await api(h, apiKey, 'DELETE', `/api/bots/${bot.id}/maintenance`);
  // 200, and it says the window is over
  assert.is(ended.statusCode, 200, ended.body);
  assert.is(ended.json().ended, true);
  assert.match(ended.json().message, /Maintenance ended/);
  // the bot is no longer in maintenance, though the weekly occurrence would run until 03:00 UTC
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, null);
  // the weekly window itself stays
  assert.is((await api(h, apiKey, 'GET', '/api/maintenance/schedules')).json().schedules.length, 1);
  // nothing was mailed before the end
  assert.is(smtp.received.length, 0);

  h.clock.set(new Date('2026-03-22T01:31:00Z'));
  const after = await h.sweepAndDeliver();
  // the next sweep releases the held stale mail, as at a window's natural end
  assert.is(after.maintenanceMails, 1);
  assert.is(smtp.received.length, 1);
  assert.ok(smtp.received[0]!.text.includes('Early shop'), smtp.received[0]!.text);

  // A week later (29 March, the DST change: 02:00 is skipped, so it starts 03:00 CEST = 01:00 UTC)
  h.clock.set(new Date('2026-03-29T00:55:00Z'));
  assert.is((await h.heartbeat(token)).statusCode, 200);
  await h.sweepAndDeliver();
  const mailsBefore = smtp.received.length;
  h.clock.set(new Date('2026-03-29T01:20:00Z'));
  const nextWeek = await h.sweepAndDeliver();
  // silent again inside next week's occurrence: flipped, held, nobody mailed
  assert.is(nextWeek.flipped, 1);
  assert.is(smtp.received.length, mailsBefore);
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${bot.id}`)).json().maintenance_until, '2026-03-29T03:00:00.000Z');
  h.clock.set(new Date('2026-03-29T03:01:00Z'));
  const nextEnd = await h.sweepAndDeliver();
  // and alerted when that occurrence ends on its own
  assert.is(nextEnd.maintenanceMails, 1);
});

test('ending one bot\'s maintenance leaves the other bots under the same all-bots weekly window in it', async ({ h, smtp }) => {
  const { user, apiKey } = await createOwner(h.db, { timezone: 'Europe/Berlin' });
  await api(h, apiKey, 'POST', '/api/maintenance/schedules', { weekday: 7, start: '02:00', minutes: 120 });
  h.clock.set(new Date('2026-03-22T00:55:00Z'));
  const { bot: back } = await h.connectedBot(user.id, 'Back early');
  const { bot: still } = await h.connectedBot(user.id, 'Still working');
  h.clock.set(new Date('2026-03-22T01:20:00Z'));
  await h.sweepAndDeliver();
  assert.is((await api(h, apiKey, 'DELETE', `/api/bots/${back.id}/maintenance`)).json().ended, true);
  // only the bot that was ended is out of maintenance
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${back.id}`)).json().maintenance_until, null);
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${still.id}`)).json().maintenance_until, '2026-03-22T03:00:00.000Z');
  h.clock.set(new Date('2026-03-22T01:31:00Z'));
  await h.sweepAndDeliver();
  // only its stale mail goes out
  assert.is(smtp.received.length, 1);
  assert.ok(smtp.received[0]!.text.includes('Back early'), smtp.received[0]!.text);
});

test('ending when no window runs is a 200 that says so and changes nothing', async ({ h }) => {
  const { user, apiKey } = await createOwner(h.db, { timezone: 'Europe/Berlin' });
  const { bot } = await h.connectedBot(user.id, 'Idle shop');
  // a weekly window that is not running now (Monday 10:00 UTC is no Sunday)
  await api(h, apiKey, 'POST', '/api/maintenance/schedules', { weekday: 7, start: '02:00', minutes: 120 });
  const none = await api(h, apiKey, 'DELETE', `/api/bots/${bot.id}/maintenance`);
  // 200 with ended: false and a message naming why
  assert.is(none.statusCode, 200);
  assert.equal(none.json(), { success: true, ended: false, message: 'Nothing to end: the bot is not in a maintenance window.' });
  // nothing was recorded, so the next occurrence is untouched
  assert.is((await h.db.query('SELECT maintenance_ended_at FROM bots WHERE id = $1', [bot.id])).rows[0]?.maintenance_ended_at, null);
  // the several-bots form says the same, with no bot ended
  // (a POST with no body at all means all bots, as curl without -d sends it)
  const all = await api(h, apiKey, 'POST', '/api/maintenance/end');
  assert.is(all.statusCode, 200, all.body);
  assert.equal(all.json().bot_ids, []);
  assert.match(all.json().message, /^Nothing to end/);
  // a bad bot_ids is a 400 naming the field
  const bad = await api(h, apiKey, 'POST', '/api/maintenance/end', { bot_ids: [] });
  assert.is(bad.statusCode, 400);
  assert.match(bad.json().message, /bot_ids/);
});

test('POST /api/maintenance/end ends every window of the owner\'s bots, one-off and weekly, and nobody else\'s', async ({ h }) => {
  const a = await createOwner(h.db, { timezone: 'UTC' });
  const b = await createOwner(h.db, { timezone: 'UTC' });
  // Monday 09:00-11:00 UTC weekly for all of A's bots and of B's; now is Monday 10:00 UTC
  await api(h, a.apiKey, 'POST', '/api/maintenance/schedules', { weekday: 1, start: '09:00', minutes: 120 });
  await api(h, b.apiKey, 'POST', '/api/maintenance/schedules', { weekday: 1, start: '09:00', minutes: 120 });
  const { bot: weekly } = await h.connectedBot(a.user.id, 'A weekly');
  const { bot: oneOff } = await h.connectedBot(a.user.id, 'A one-off');
  const { bot: theirs } = await h.connectedBot(b.user.id, 'B shop');
  await api(h, a.apiKey, 'POST', `/api/bots/${oneOff.id}/maintenance`, { minutes: 600 });
  // B naming A's bot: 404, nothing changed
  assert.is((await api(h, b.apiKey, 'POST', '/api/maintenance/end', { bot_ids: [theirs.id, weekly.id] })).statusCode, 404);
  assert.is((await api(h, b.apiKey, 'DELETE', `/api/bots/${weekly.id}/maintenance`)).statusCode, 404);
  assert.ok((await api(h, a.apiKey, 'GET', `/api/bots/${weekly.id}`)).json().maintenance_until);
  assert.ok((await api(h, b.apiKey, 'GET', `/api/bots/${theirs.id}`)).json().maintenance_until);
  const ended = await api(h, a.apiKey, 'POST', '/api/maintenance/end', {});
  // both of A's bots are out of maintenance
  assert.is(ended.statusCode, 200, ended.body);
  assert.equal(new Set(ended.json().bot_ids), new Set([weekly.id, oneOff.id]));
  assert.is((await api(h, a.apiKey, 'GET', `/api/bots/${weekly.id}`)).json().maintenance_until, null);
  assert.is((await api(h, a.apiKey, 'GET', `/api/bots/${oneOff.id}`)).json().maintenance_until, null);
  // B's bot, under B's own identical window, is still in it
  assert.is((await api(h, b.apiKey, 'GET', `/api/bots/${theirs.id}`)).json().maintenance_until, '2026-01-05T11:00:00.000Z');
});

test('the dashboard ends a running weekly occurrence from the bot page and for all bots from the maintenance page (session + CSRF)', async ({ h }) => {
  const { user, password, apiKey } = await createOwner(h.db, { timezone: 'UTC' });
  await api(h, apiKey, 'POST', '/api/maintenance/schedules', { weekday: 1, start: '09:00', minutes: 120 });
  const { bot } = await h.connectedBot(user.id, 'Page weekly');
  const { bot: other } = await h.connectedBot(user.id, 'Page other');
  const b = await loggedIn(h.app, user.email, password);
  // the weekly occurrence shows on the bot page, with the button
  assert.ok((await b.get(`/bots/${bot.id}`)).body.includes('End maintenance now'));
  // without the CSRF token: refused, still in maintenance
  assert.is((await b.post(`/bots/${bot.id}/maintenance/end`, { _csrf: null })).statusCode, 403);
  await b.get(`/bots/${bot.id}`);
  const ended = await b.post(`/bots/${bot.id}/maintenance/end`);
  assert.is(ended.statusCode, 303);
  assert.is(ended.headers.location, `/bots/${bot.id}?maintenance=ended`);
  const page = await b.get(`/bots/${bot.id}?maintenance=ended`);
  // the page says it ended and no longer says "In maintenance until"
  assert.ok(page.body.includes('Maintenance ended'));
  assert.not.ok(page.body.includes('In maintenance until'));
  // the other bot is still in it; the maintenance page ends it
  await b.get('/maintenance');
  assert.is((await b.post('/maintenance/end', { _csrf: null })).statusCode, 403);
  const all = await b.post('/maintenance/end');
  assert.is(all.statusCode, 303);
  assert.is(all.headers.location, '/maintenance?done=ended');
  assert.is((await api(h, apiKey, 'GET', `/api/bots/${other.id}`)).json().maintenance_until, null);
  // again, with nothing running: the page says there was nothing to end
  await b.get('/maintenance');
  assert.is((await b.post('/maintenance/end')).headers.location, '/maintenance?done=none');
  assert.ok((await b.get('/maintenance?done=none')).body.includes('Nothing to end'));
});

test.run();
