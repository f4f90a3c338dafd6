// Several people in one account, end to end with a real SMTP receiver: an owner invites a
// colleague (POST /api/members), the invitation mail goes out through the outbox, the colleague
// signs up, accepts on the invitation page and sees the account's bots; removing them ends their
// session there and their keys. And who is told: each member who opted in gets the account's alert mail.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { useAlertSuite, type AlertHarness, type SmtpSink } from '../alerts/alert-harness.ts';
import { createOwner } from '../helpers/app.ts';
import { browser, loggedIn } from '../helpers/dashboard.ts';

type Ctx = { h: AlertHarness; smtp: SmtpSink };
const test = suite<Ctx>('invitations: invite, mail, sign up, accept, remove');
useAlertSuite(test);

const PASSWORD = 'long enough pass';
const HOUR = 3_600_000;

function api(h: AlertHarness, key: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) {
  return h.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The invitation link of a received mail, as a path with its query. */
function inviteLinkIn(text: string): string {
  const match = /https:\/\/desk\.example\.test(\/invitations\/accept\?t=[A-Za-z0-9_\-.]+)/.exec(text);
  if (!match) throw new Error(`no invitation link in:\n${text}`);
  return match[1]!;
}

async function signUp(h: AlertHarness, email: string, next?: string) {
  const b = browser(h.app);
  await b.get('/signup');
  const response = await b.post('/signup', { email, password: PASSWORD, timezone: 'UTC', ...(next ? { next } : {}) });
  assert.is(response.statusCode, 303, response.body.slice(0, 300));
  // back where the log-in page's "Create an account" link said to come back to
  if (next) assert.is(response.headers.location, next);
  return b;
}

test('an invited colleague signs up, accepts once, sees the bots; removal ends their session and keys there', async ({ h, smtp }) => {
  const owner = await createOwner(h.db);
  await h.connectedBot(owner.user.id, 'Agency site');

  const invited = await api(h, owner.apiKey, 'POST', '/api/members', { email: 'Colleague@Example.COM', role: 'member' });
  // 201, the address in its one stored form
  assert.is(invited.statusCode, 201, invited.body);
  assert.is(invited.json().invitation.email, 'colleague@example.com');
  assert.is(invited.json().invitation.role, 'member');
  // an address that is not one is refused like a contact's
  assert.is((await api(h, owner.apiKey, 'POST', '/api/members', { email: 'a\u200b@example.com', role: 'member' })).statusCode, 400);
  // only owners invite owners; an unknown role is a 400
  assert.is((await api(h, owner.apiKey, 'POST', '/api/members', { email: 'x@example.com', role: 'boss' })).statusCode, 400);

  await h.delivery.deliverDue(h.clock.now());
  // one mail, through SMTP, to the invited address, with the link
  const mails = smtp.received.filter((mail) => mail.to === 'colleague@example.com');
  assert.is(mails.length, 1);
  assert.is(mails[0]!.subject, 'You are invited to an AgentDesk account');
  const link = inviteLinkIn(mails[0]!.text);

  // without a session the link sends the browser to log in, and back
  const anonymous = await browser(h.app).get(link);
  assert.is(anonymous.statusCode, 303);
  assert.match(String(anonymous.headers.location), /^\/login\?next=%2Finvitations%2Faccept/);

  // the log-in page's "Create an account" link carries the way back; signing up comes back to the invitation
  const loginPage = await browser(h.app).get(String(anonymous.headers.location));
  const next = decodeURIComponent(/href="\/signup\?next=([^"]+)"/.exec(loginPage.body)![1]!);
  assert.ok(next.startsWith('/invitations/accept?t='), next);
  const colleague = await signUp(h, 'colleague@example.com', next);
  // a fresh account of their own: not the agency's bots yet
  assert.not.match((await colleague.get('/bots')).body, /Agency site/);
  const page = await colleague.get(link);
  // the page shows a Join form (mail scanners prefetch links: GET changes nothing)
  assert.is(page.statusCode, 200);
  assert.match(page.body, /as <strong>member<\/strong>/);
  const token = new URL(link, 'https://x').searchParams.get('t')!;
  const joined = await colleague.post('/invitations/accept', { t: token });
  assert.is(joined.statusCode, 303);
  // they land in the account they joined and see its bots
  const bots = await colleague.get('/bots');
  assert.match(bots.body, /Agency site/);
  // the account page has the switcher (two accounts now)
  assert.match((await colleague.get('/account')).body, /Switch account/);
  // single use
  const again = await colleague.post('/invitations/accept', { t: token });
  assert.is(again.statusCode, 410);

  // a member works on sites but does not create bots
  const created = await colleague.api('POST', '/api/bots', { name: 'Not mine to make' }, { 'x-csrf-token': colleague.csrf! });
  assert.is(created.statusCode, 403);
  // they make a key in the account (role: theirs by default)
  const key = await colleague.api('POST', '/api/keys', { name: 'reporting' }, { 'x-csrf-token': colleague.csrf! });
  assert.is(key.statusCode, 201, key.body);
  assert.is(key.json().role, 'member');
  const colleagueKey = key.json().key as string;
  assert.is((await api(h, colleagueKey, 'GET', '/api/bots')).json().bots[0].name, 'Agency site');
  // the owner's key list shows who made it
  const listed = (await api(h, owner.apiKey, 'GET', '/api/keys')).json().keys as Array<{ created_by: string; role: string; name: string | null }>;
  assert.ok(listed.some((k) => k.created_by === 'colleague@example.com' && k.role === 'member' && k.name === 'reporting'));

  const members = (await api(h, owner.apiKey, 'GET', '/api/members')).json();
  const member = members.members.find((m: { email: string }) => m.email === 'colleague@example.com');
  assert.is(member.role, 'member');
  // the invitation is no longer open
  assert.equal(members.invitations, []);

  const removed = await api(h, owner.apiKey, 'DELETE', `/api/members/${member.user_id}`);
  assert.is(removed.statusCode, 200);
  // their session in that account ended: pages send them to log in
  const after = await colleague.get('/bots');
  assert.is(after.statusCode, 303);
  assert.match(String(after.headers.location), /^\/login/);
  // and the key they made there stopped working
  assert.is((await api(h, colleagueKey, 'GET', '/api/bots')).statusCode, 401);
  // logging in again lands in their own account, without the agency's bots
  const back = await loggedIn(h.app, 'colleague@example.com', PASSWORD);
  assert.not.match((await back.get('/bots')).body, /Agency site/);

  // the audit log has it all, newest first
  const audit = (await api(h, owner.apiKey, 'GET', '/api/audit')).json().entries as Array<{ action: string; actor: string | null }>;
  const actions = audit.map((e) => e.action);
  for (const action of ['members:invite', 'members:join', 'keys:write', 'members:remove']) assert.ok(actions.includes(action), `${action} in ${actions}`);
  assert.is(audit.find((e) => e.action === 'members:join')!.actor, 'colleague@example.com');
});

test('an invitation works only for the address it was sent to, for 7 days, and is re-sent at most once an hour', async ({ h, smtp }) => {
  const owner = await createOwner(h.db);
  const invited = await api(h, owner.apiKey, 'POST', '/api/members', { email: 'right@example.com', role: 'viewer' });
  assert.is(invited.statusCode, 201);
  await h.delivery.deliverDue(h.clock.now());
  const link = inviteLinkIn(smtp.received[0]!.text);
  const token = new URL(link, 'https://x').searchParams.get('t')!;

  const stranger = await signUp(h, 'wrong@example.com');
  // another login: refused, naming the address it was for
  const wrong = await stranger.post('/invitations/accept', { t: token });
  assert.is(wrong.statusCode, 403);
  assert.match(wrong.body, /sent to right@example\.com/);
  // an altered link
  assert.is((await stranger.get(`${link}x`)).statusCode, 400);

  // re-sending within the hour is refused with Retry-After; inviting the same address again too
  const id = invited.json().invitation.id as string;
  const soon = await api(h, owner.apiKey, 'POST', `/api/invitations/${id}/resend`);
  assert.is(soon.statusCode, 429);
  assert.ok(Number(soon.headers['retry-after']) > 0);
  assert.is((await api(h, owner.apiKey, 'POST', '/api/members', { email: 'right@example.com', role: 'viewer' })).statusCode, 429);

  // after 7 days the link has expired
  h.clock.advance(7 * 24 * HOUR + 1000);
  const invitee = await signUp(h, 'right@example.com');
  assert.is((await invitee.post('/invitations/accept', { t: token })).statusCode, 410);
  // re-sent: a new mail and a new week
  const resent = await api(h, owner.apiKey, 'POST', `/api/invitations/${id}/resend`);
  assert.is(resent.statusCode, 200);
  await h.delivery.deliverDue(h.clock.now());
  const fresh = new URL(inviteLinkIn(smtp.received.at(-1)!.text), 'https://x').searchParams.get('t')!;
  assert.is((await invitee.post('/invitations/accept', { t: fresh })).statusCode, 303);
  // a viewer reads and changes nothing
  assert.is((await invitee.get('/bots')).statusCode, 200);
  assert.is((await invitee.get('/bots/new')).statusCode, 403);
});

test("who is told: every member who opted in gets the account's alert mail, each with their own unsubscribe link", async ({ h, smtp }) => {
  const owner = await createOwner(h.db);
  const colleague = await createOwner(h.db);
  await h.db.query("INSERT INTO account_members (account_id, user_id, role, notify) VALUES ($1, $2, 'member', false)", [owner.user.id, colleague.user.id]);
  // the colleague now belongs to two accounts (their own and the owner's)
  assert.is((await api(h, colleague.apiKey, 'GET', '/api/accounts')).json().accounts.length, 2);

  // by default only owners are told
  await h.connectedBot(owner.user.id, 'Shop');
  h.clock.advance(11 * 60_000);
  await h.sweepAndDeliver();
  assert.equal(smtp.received.map((m) => m.to), [owner.user.email]);

  // the member opts in from a session in the owner's account; the owner opts out
  const b = await loggedIn(h.app, colleague.user.email, 'correct horse battery');
  assert.is((await b.post('/account/switch', { account_id: owner.user.id })).statusCode, 303);
  await b.get('/account');
  assert.is((await b.post('/account/notify', { notify: 'on' })).statusCode, 303);
  const ownerBrowser = await loggedIn(h.app, owner.user.email, 'correct horse battery');
  await ownerBrowser.get('/account');
  assert.is((await ownerBrowser.post('/account/notify', {})).statusCode, 303);

  smtp.received.length = 0;
  await h.connectedBot(owner.user.id, 'Blog');
  h.clock.advance(11 * 60_000);
  await h.sweepAndDeliver();
  // the next alert reaches the member only, with an unsubscribe link of their own
  assert.equal(smtp.received.map((m) => m.to), [colleague.user.email]);
  const token = /\/alerts\/unsubscribe\?t=([A-Za-z0-9_-]+)\./.exec(smtp.received[0]!.text)?.[1];
  assert.ok(token, 'an unsubscribe link');
  assert.is(JSON.parse(Buffer.from(token!, 'base64url').toString('utf8')).userId, colleague.user.id);
});

test.run();
