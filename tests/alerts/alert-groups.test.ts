// ALERT_GROUP_WINDOW (docs/alerts.md "Alert groups"): an owner's sites whose deadlines are spread over the heartbeat
// interval are announced in one mail, and so are their recoveries. Real database, real SMTP server,
// the sweep and delivery run once a minute on an explicit clock, heartbeats between them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createClock } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';
import { at, createAlertHarness, names, runUntil, secondConnection, spreadBots, STALE_AFTER_MS, stormScene, type AlertHarness, type SmtpSink, useAlertSuite } from './alert-harness.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const WINDOW_MS = 5 * MINUTE;

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('alert groups: one mail per burst over ALERT_GROUP_WINDOW');

useAlertSuite(test, { env: { ALERT_GROUP_WINDOW: '5m' } });

const staleMails = (smtp: SmtpSink) => smtp.received.filter((m) => /stopped reporting|does not answer|is silent/.test(m.subject));
const recoveryMails = (smtp: SmtpSink) => smtp.received.filter((m) => /reporting to AgentDesk again/.test(m.subject));

test.before.each(({ h }) => {
  // sweeps fall at second 1 of each minute: start at 10:00:01
  h.clock.set(new Date('2026-01-05T10:00:01Z'));
});

test('announces 20 sites whose deadlines are spread over the window in one stale mail, and their return in one recovery mail', async ({ h, smtp }) => {
  const owner = await h.owner();
  const start = h.clock.now();
  // last heartbeats evenly spread over the window: one every 15 s, the last 4 min 45 s after the first
  const bots = await spreadBots(h, owner.id, names('Site', 20), WINDOW_MS / 20);
  await runUntil([h], at(start, STALE_AFTER_MS + 2 * MINUTE));
  // the first site is stale and its group open: nothing sent yet
  assert.is(staleMails(smtp).length, 0);
  // one group, held open, with the eight sites judged at 10:11:01 and 10:12:01
  const { rows: open } = await h.db.query<{ status: string; sites: number }>("SELECT status, jsonb_array_length(payload->'sites') AS sites FROM alert_outbox");
  assert.equal(open, [{ status: 'held', sites: 8 }]);
  // the bot page says when the pending alert will go out: five minutes after the first decision
  const browser = await loggedIn(h.app, owner.email, 'correct horse battery');
  const page = await browser.get(`/bots/${bots[0]!.bot.id}`);
  assert.match(page.body, /Alert pending, will be sent at [^<]*10:16/);
  // and so does the bot JSON, for this site and in the list (null for a site not in a group)
  const one = (await browser.api('GET', `/api/bots/${bots[0]!.bot.id}`)).json();
  assert.is(one.alert_pending_until, '2026-01-05T10:16:01.000Z');
  const listed = (await browser.api('GET', '/api/bots')).json().bots as Array<{ id: string; alert_pending_until: string | null }>;
  assert.is(listed.find((b) => b.id === bots[0]!.bot.id)!.alert_pending_until, '2026-01-05T10:16:01.000Z');
  assert.is(listed.find((b) => b.id === bots[19]!.bot.id)!.alert_pending_until, null);

  await runUntil([h], at(start, STALE_AFTER_MS + 10 * MINUTE));
  // exactly one stale mail, naming all 20
  assert.is(staleMails(smtp).length, 1);
  const mail = staleMails(smtp)[0]!;
  assert.is(mail.subject, '20 of your sites stopped reporting to AgentDesk');
  for (const { bot } of bots) assert.ok(mail.text.includes(bot.name), bot.name);
  // the metrics saw one digest of 20 sites, and 20 delays from decision to send (at most the window)
  const sites = await h.metrics.registry.getSingleMetricAsString('agentdesk_digest_sites');
  assert.match(sites, /agentdesk_digest_sites_sum\{kind="stale"\} 20\n/);
  assert.match(sites, /agentdesk_digest_sites_count\{kind="stale"\} 1$/m);
  const delays = await h.metrics.registry.getSingleMetricAsString('agentdesk_alert_delay_seconds');
  assert.match(delays, /agentdesk_alert_delay_seconds_count\{kind="stale"\} 20$/m);
  assert.match(delays, /agentdesk_alert_delay_seconds_bucket\{le="300",kind="stale"\} 20\n/);
  assert.match(delays, /agentdesk_alert_delay_seconds_bucket\{le="120",kind="stale"\} [1-9]\d*\n/);

  // they come back one every 15 s (and are watched for nine minutes, before their next deadline)
  const back = h.clock.now();
  await runUntil(
    [h],
    at(back, 9 * MINUTE),
    bots.map((b, i) => ({ at: at(back, i * 15 * SECOND), token: b.token })),
  );
  // one recovery mail naming all 20, and no other mail
  assert.is(recoveryMails(smtp).length, 1);
  assert.is(recoveryMails(smtp)[0]!.subject, '20 of your sites are reporting to AgentDesk again');
  for (const { bot } of bots) assert.ok(recoveryMails(smtp)[0]!.text.includes(bot.name), bot.name);
  assert.is(smtp.received.length, 2);
});

test('sends one stale mail to each of two owners whose sites stop spread out and interleaved', async ({ h, smtp }) => {
  const first = await h.owner();
  const second = await h.owner();
  const start = h.clock.now();
  for (let i = 0; i < 4; i++) {
    await h.connectedBot(first.id, `First ${i}`);
    await h.connectedBot(second.id, `Second ${i}`);
    h.clock.advance(MINUTE);
  }
  await runUntil([h], at(start, STALE_AFTER_MS + 12 * MINUTE));
  // one mail each, each naming its own four sites only
  assert.equal(smtp.received.map((m) => m.to).sort(), [first.email, second.email].sort());
  for (const mail of smtp.received) {
    const own = mail.to === first.email ? 'First' : 'Second';
    const other = own === 'First' ? 'Second' : 'First';
    assert.is(mail.subject, '4 of your sites stopped reporting to AgentDesk');
    for (let i = 0; i < 4; i++) assert.ok(mail.text.includes(`${own} ${i}`) && !mail.text.includes(`${other} ${i}`), mail.text);
  }
});

test('never mails about a site that reports again inside the window, while the others of its group are announced', async ({ h, smtp }) => {
  const owner = await h.owner();
  const start = h.clock.now();
  // "Flaky" falls silent first and opens the group; "Down" two minutes later; "Steady" keeps reporting
  const [flaky, down] = await spreadBots(h, owner.id, ['Flaky', 'Down'], 2 * MINUTE);
  const steady = await h.connectedBot(owner.id, 'Steady');
  const steadyBeats = Array.from({ length: 12 }, (_, i) => ({ at: at(start, (i + 1) * 4 * MINUTE), token: steady.token }));
  // Flaky reports again two minutes after it was judged stale, before the window closes, and keeps reporting
  const flakyBeats = Array.from({ length: 6 }, (_, i) => ({ at: at(start, STALE_AFTER_MS + 3 * MINUTE + i * 4 * MINUTE), token: flaky!.token }));
  await runUntil([h], at(start, STALE_AFTER_MS + 20 * MINUTE), [...steadyBeats, ...flakyBeats]);
  // one stale mail, about Down only
  assert.is(smtp.received.length, 1);
  assert.is(smtp.received[0]!.subject, 'A site stopped reporting to AgentDesk');
  assert.ok(smtp.received[0]!.text.includes('Down'));
  assert.not.ok(smtp.received[0]!.text.includes('Flaky'));
  // Flaky's notification is gone: no recovery will ever be sent for it
  const { rows } = await h.db.query<{ bot_id: string }>('SELECT bot_id FROM alert_notifications');
  assert.equal(rows.map((r) => r.bot_id), [down!.bot.id]);
});

test('drops the group of a lone site that reports again inside the window: no mail at all', async ({ h, smtp }) => {
  const owner = await h.owner();
  const start = h.clock.now();
  const [flaky] = await spreadBots(h, owner.id, ['Flaky'], 0);
  const steady = await h.connectedBot(owner.id, 'Steady');
  const steadyBeats = Array.from({ length: 8 }, (_, i) => ({ at: at(start, (i + 1) * 4 * MINUTE), token: steady.token }));
  const flakyBeats = Array.from({ length: 6 }, (_, i) => ({ at: at(start, STALE_AFTER_MS + 4 * MINUTE + i * 4 * MINUTE), token: flaky!.token }));
  await runUntil([h], at(start, STALE_AFTER_MS + 25 * MINUTE), [...steadyBeats, ...flakyBeats]);
  // neither a stale nor a recovery mail
  assert.is(smtp.received.length, 0);
  const { rows } = await h.db.query<{ status: string; last_error: string }>('SELECT status, last_error FROM alert_outbox');
  // the group is kept as dropped, saying why
  assert.equal(rows, [{ status: 'dropped', last_error: 'every site in it reported again within the group window' }]);
});

test('sends the group as soon as every connected site of the owner is in it', async ({ h, smtp }) => {
  const owner = await h.owner();
  const start = h.clock.now();
  await spreadBots(h, owner.id, ['Early', 'Late'], MINUTE);
  // Early is judged at 10:11:01 and Late at 10:12:01: then no site of the owner is left connected
  await runUntil([h], at(start, STALE_AFTER_MS + MINUTE));
  assert.is(smtp.received.length, 0);
  await runUntil([h], at(start, STALE_AFTER_MS + 2 * MINUTE));
  // sent at 10:12:01, four minutes before the window would have closed
  assert.is(smtp.received.length, 1);
  assert.is(smtp.received[0]!.subject, '2 of your sites stopped reporting to AgentDesk');
});

test('leaves a muted site out of the group, and does not wait for it', async ({ h, smtp }) => {
  const owner = await h.owner();
  const start = h.clock.now();
  const [, muted] = await spreadBots(h, owner.id, ['Loud', 'Muted'], 0);
  await h.db.query("UPDATE bots SET muted_until = $2 WHERE id = $1", [muted!.bot.id, at(start, 24 * 60 * MINUTE)]);
  h.clock.advance(MINUTE);
  // Muted's heartbeats go on: it stays connected, yet it could never join a mail
  const mutedBeats = Array.from({ length: 4 }, (_, i) => ({ at: at(start, (i + 1) * 4 * MINUTE), token: muted!.token }));
  await runUntil([h], at(start, STALE_AFTER_MS + MINUTE), mutedBeats);
  // Loud is judged at 10:11:01 and sent at once: nothing else of the owner's can join
  assert.is(smtp.received.length, 1);
  assert.is(smtp.received[0]!.subject, 'A site stopped reporting to AgentDesk');
  assert.ok(smtp.received[0]!.text.includes('Loud'));
});

test('holds a group during a storm incident, lets later sites join it, and sends it once when the incident ends', async ({ smtp }) => {
  const clock = createClock(new Date('2026-01-05T10:00:01Z'));
  const h = await createAlertHarness({ smtp, clock, env: { ALERT_GROUP_WINDOW: '5m', STORM_MIN: '4' } });
  try {
    const owner = await h.owner();
    // six sites of one owner fall silent together (a storm), a seventh two minutes later
    const { start, together, late, beats } = await stormScene(h, owner.id);
    await runUntil([h], at(start, STALE_AFTER_MS + 5 * MINUTE), beats);
    // held during the incident: nothing sent, one held group with all seven sites
    assert.is(smtp.received.length, 0);
    const { rows } = await h.db.query<{ status: string; incident: boolean; sites: number }>(
      "SELECT status, incident_id IS NOT NULL AS incident, jsonb_array_length(payload->'sites') AS sites FROM alert_outbox",
    );
    assert.equal(rows, [{ status: 'held', incident: true, sites: 7 }]);
    await runUntil([h], at(start, STALE_AFTER_MS + 30 * MINUTE), beats.filter((b) => b.at > h.clock.now()));
    // the incident ended (a calm stale_after later) and released the one mail, naming all seven
    assert.is(smtp.received.length, 1);
    assert.is(smtp.received[0]!.subject, '7 of your sites stopped reporting to AgentDesk');
    for (const { bot } of [...together, late]) assert.ok(smtp.received[0]!.text.includes(bot.name), bot.name);
  } finally {
    await h.close();
  }
});

test('still sends exactly one mail when the service restarts while a group is open', async ({ h, smtp }) => {
  const owner = await h.owner();
  const start = h.clock.now();
  await spreadBots(h, owner.id, names('Site', 6), 45 * SECOND);
  // Steady keeps reporting, so the group waits for its window to close
  const steady = await h.connectedBot(owner.id, 'Steady');
  const steadyBeats = Array.from({ length: 6 }, (_, i) => ({ at: at(start, (i + 1) * 4 * MINUTE), token: steady.token }));
  await runUntil([h], at(start, STALE_AFTER_MS + 2 * MINUTE), steadyBeats);
  // the group is open with the first sites
  assert.is(smtp.received.length, 0);
  // a new process: its own connection pool, sweep, delivery worker and app, on the same database at the same time
  const restarted = await createAlertHarness({ db: await secondConnection(), smtp, env: { ALERT_GROUP_WINDOW: '5m' }, clock: createClock(h.clock.now()) });
  try {
    await runUntil([restarted], at(start, STALE_AFTER_MS + 12 * MINUTE), steadyBeats.filter((beat) => beat.at > restarted.clock.now()));
  } finally {
    await restarted.close();
  }
  // one mail, all six sites, none twice
  assert.is(smtp.received.length, 1);
  assert.is(smtp.received[0]!.subject, '6 of your sites stopped reporting to AgentDesk');
  assert.is((smtp.received[0]!.text.match(/Site 0\d/g) ?? []).length, new Set(smtp.received[0]!.text.match(/Site 0\d/g)).size);
});

test('sends one mail when two instances sweep and deliver at the same moments', async ({ h, smtp }) => {
  const owner = await h.owner();
  const start = h.clock.now();
  await spreadBots(h, owner.id, names('Site', 10), 30 * SECOND);
  const other = await createAlertHarness({ db: await secondConnection(), smtp, env: { ALERT_GROUP_WINDOW: '5m' }, clock: createClock(h.clock.now()) });
  try {
    await runUntil([h, other], at(start, STALE_AFTER_MS + 15 * MINUTE));
  } finally {
    await other.close();
  }
  // between them: one mail naming all ten
  assert.is(smtp.received.length, 1);
  assert.is(smtp.received[0]!.subject, '10 of your sites stopped reporting to AgentDesk');
});

test.run();
