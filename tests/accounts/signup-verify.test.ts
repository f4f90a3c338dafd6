// SIGNUP=verify: sign-up mails a signed confirmation link through the outbox (a real SMTP server
// here), and the account logs in only once its address confirmed it. Log-in says so and offers the
// link again, at most once an hour.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.ts';
import { findUserByEmail } from '../../src/db/users.ts';
import { useAlertSuite, type AlertHarness, type SmtpSink } from '../alerts/alert-harness.ts';
import { browser } from '../helpers/dashboard.ts';

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('sign-up with email confirmation (SIGNUP=verify)');
useAlertSuite(test, { env: { SIGNUP: 'verify' } });

const PASSWORD = 'long enough pass';
const MINUTE = 60_000;

async function signUp(h: AlertHarness, email: string) {
  const b = browser(h.app);
  await b.get('/signup');
  return b.post('/signup', { email, password: PASSWORD, timezone: 'UTC' });
}

async function logIn(h: AlertHarness, email: string) {
  const b = browser(h.app);
  await b.get('/login');
  return { b, response: await b.post('/login', { email, password: PASSWORD }) };
}

/** The confirmation link of a received mail, as a path with its query. */
function linkIn(text: string): string {
  const match = /https:\/\/desk\.example\.test(\/signup\/confirm\?t=[A-Za-z0-9_\-.]+)/.exec(text);
  if (!match) throw new Error(`no confirmation link in:\n${text}`);
  return match[1]!;
}

const resendTokenIn = (html: string) => /action="\/signup\/resend">\s*<input[^>]+>\s*<input type="hidden" name="t" value="([^"]+)"/.exec(html)?.[1];

async function confirm(h: AlertHarness, link: string) {
  const b = browser(h.app);
  const page = await b.get(link);
  const token = new URL(link, 'https://x').searchParams.get('t')!;
  return { page, done: await b.post('/signup/confirm', { t: token }) };
}

test('sign-up mails a confirmation link and the account logs in only after it was opened', async ({ h, smtp }) => {
  const signedUp = await signUp(h, 'New@Example.com');
  // no session: the page says to check the inbox
  assert.is(signedUp.statusCode, 200);
  assert.match(signedUp.body, /We sent a link to new@example\.com/);
  assert.not.ok(signedUp.cookies.some((cookie) => cookie.name === 'adk_session'));

  await h.delivery.deliverDue(h.clock.now());
  // one mail, to the address, through SMTP
  assert.is(smtp.received.length, 1);
  assert.is(smtp.received[0]!.to, 'new@example.com');
  assert.is(smtp.received[0]!.subject, 'Confirm your email address for AgentDesk');

  const before = await logIn(h, 'new@example.com');
  // the right password is not enough yet, and the page says why and offers the link again
  assert.is(before.response.statusCode, 403);
  assert.match(before.response.body, /can be used once its email address is confirmed/);
  assert.match(before.response.body, /Send the link again/);
  assert.not.ok(before.response.cookies.some((cookie) => cookie.name === 'adk_session'));

  const link = linkIn(smtp.received[0]!.text);
  const page = await browser(h.app).get(link);
  // opening the link shows a button and changes nothing (mail scanners prefetch links)
  assert.is(page.statusCode, 200);
  assert.match(page.body, /Confirm my email address/);
  assert.ok((await findUserByEmail(h.db, 'new@example.com'))!.confirmation_required_since !== null);
  const { done } = await confirm(h, link);
  // pressing it confirms
  assert.ok((await findUserByEmail(h.db, 'new@example.com'))!.confirmation_required_since === null);
  assert.is(done.statusCode, 200);
  assert.match(done.body, /new@example\.com is confirmed/);

  const after = await logIn(h, 'new@example.com');
  // and now log-in works
  assert.is(after.response.statusCode, 303);
  assert.is(after.response.headers.location, '/bots');
});

test('the link can be sent again once an hour, from the log-in page only', async ({ h, smtp }) => {
  await signUp(h, 'slow@example.com');
  await h.delivery.deliverDue(h.clock.now());

  h.clock.advance(10 * MINUTE);
  const { b, response } = await logIn(h, 'slow@example.com');
  const tooSoon = await b.post('/signup/resend', { t: resendTokenIn(response.body)! });
  // within the hour: 429 with Retry-After and the minutes left, and no mail
  assert.is(tooSoon.statusCode, 429);
  assert.is(tooSoon.headers['retry-after'], String(50 * 60));
  assert.match(tooSoon.body, /less than an hour ago/);
  assert.match(tooSoon.body, /in 50 minutes/);
  await h.delivery.deliverDue(h.clock.now());
  assert.is(smtp.received.length, 1);

  h.clock.advance(51 * MINUTE);
  const again = await logIn(h, 'slow@example.com');
  const resent = await again.b.post('/signup/resend', { t: resendTokenIn(again.response.body)! });
  const twice = await again.b.post('/signup/resend', { t: resendTokenIn(again.response.body)! });
  await h.delivery.deliverDue(h.clock.now());
  // after the hour: one new mail, and pressing twice does not send two
  assert.is(resent.statusCode, 200);
  assert.match(resent.body, /We sent a new link to slow@example\.com/);
  assert.is(twice.statusCode, 429);
  assert.is(smtp.received.length, 2);

  const forged = await again.b.post('/signup/resend', { t: 'not-a-token' });
  // a resend needs the token a right password produced
  assert.is(forged.statusCode, 400);

  const { done } = await confirm(h, linkIn(smtp.received[1]!.text));
  // the new link confirms
  assert.is(done.statusCode, 200);
  assert.is((await logIn(h, 'slow@example.com')).response.statusCode, 303);
});

test('an expired or altered link confirms nothing', async ({ h, smtp }) => {
  await signUp(h, 'late@example.com');
  await h.delivery.deliverDue(h.clock.now());
  const link = linkIn(smtp.received[0]!.text);

  const altered = await confirm(h, `${link.slice(0, -2)}xx`);
  // 400, invalid
  assert.is(altered.done.statusCode, 400);
  h.clock.advance(8 * 24 * 60 * MINUTE);
  const expired = await confirm(h, link);
  // 410 after a week, saying how to get a new one
  assert.is(expired.done.statusCode, 410);
  assert.match(expired.done.body, /Log in with your email and password to get a new one/);
  // still unconfirmed
  assert.is((await logIn(h, 'late@example.com')).response.statusCode, 403);
});

test('SIGNUP is open by default; verify and closed are the other values', () => {
  // the default stays open sign-up, with immediate log-in
  assert.is(loadConfig({}).signup, 'open');
  assert.is(loadConfig({ SIGNUP: 'verify' }).signup, 'verify');
  assert.throws(() => loadConfig({ SIGNUP: 'maybe' }), /expected one of open, verify, closed/);
});

test('the way back survives the confirmation: the mailed link, the confirmed page and the log-in lead where the person was going', async ({ h, smtp }) => {
  // on the way to an invitation (or a plugin's connect request) without an account yet
  const next = '/invitations/accept?t=abc.def';
  const escaped = encodeURIComponent(next);
  const b = browser(h.app);
  await b.get(`/signup?next=${escaped}`);
  const signedUp = await b.post('/signup', { email: 'invitee@example.com', password: PASSWORD, timezone: 'UTC', next });
  assert.match(signedUp.body, `href="/login?next=${escaped}"`);
  await h.delivery.deliverDue(h.clock.now());
  // the mailed link carries it
  const link = /https:\/\/desk\.example\.test(\/signup\/confirm\?t=[A-Za-z0-9_\-.]+&next=[^\s"]+)/.exec(smtp.received[0]!.text)?.[1];
  assert.ok(link, smtp.received[0]!.text);
  assert.ok(link.endsWith(`next=${escaped}`), link);
  const page = await b.get(link);
  assert.match(page.body, `name="next" value="${next.replace('=', '&#x3D;')}"`);
  const done = await b.post('/signup/confirm', { t: new URL(link, 'https://x').searchParams.get('t')!, next });
  // the confirmed page's log-in link leads there, and so does logging in
  assert.match(done.body, `href="/login?next=${escaped}"`);
  await b.get(`/login?next=${escaped}`);
  const loggedIn = await b.post('/login', { email: 'invitee@example.com', password: PASSWORD, next });
  assert.is(loggedIn.statusCode, 303);
  assert.is(loggedIn.headers.location, next);
});

test('a way back that is not one of our pages is dropped, not mailed', async ({ h, smtp }) => {
  const b = browser(h.app);
  await b.get('/signup');
  await b.post('/signup', { email: 'elsewhere@example.com', password: PASSWORD, timezone: 'UTC', next: '//evil.example/phish' });
  await h.delivery.deliverDue(h.clock.now());
  assert.not.match(smtp.received[0]!.text, 'next=');
});

test.run();
