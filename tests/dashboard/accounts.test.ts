import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createOwner } from '../helpers/app.ts';
import { browser, loggedIn } from '../helpers/dashboard.ts';
import { findUserByEmail } from '../../src/db/users.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('dashboard accounts');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ dashboard: { loginLimits: { perIp: 1000, perEmail: 3, windowMs: 60_000 } } }));
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const uniqueEmail = () => `signup-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;

test('signing up creates the owner and logs them in with a safe session cookie', async (ctx) => {
  const b = browser(ctx.app);
  await b.get('/signup');
  const email = uniqueEmail();
  const response = await b.post('/signup', { name: 'Ada', email, password: 'long enough pass', timezone: 'Europe/Paris' });
  // logged in and sent to the bot list
  assert.is(response.statusCode, 303);
  assert.is(response.headers.location, '/bots');
  const cookie = response.cookies.find((c) => c.name === 'adk_session') as { httpOnly?: boolean; sameSite?: string; secure?: boolean; path?: string } | undefined;
  // HttpOnly, SameSite=Lax, not Secure over plain http
  assert.ok(cookie);
  assert.is(cookie!.httpOnly, true);
  assert.is(cookie!.sameSite, 'Lax');
  assert.not.ok(cookie!.secure);
  const user = await findUserByEmail(ctx.db, email);
  // the owner, with their zone
  assert.is(user?.timezone, 'Europe/Paris');
  assert.is(user?.role, 'owner');
  const page = await b.get('/bots');
  // the dashboard opens
  assert.is(page.statusCode, 200);
  assert.match(page.body, /You have no bot yet/);
});

test('sign-up errors come back on the form; an email is taken once', async (ctx) => {
  const b = browser(ctx.app);
  await b.get('/signup');
  const short = await b.post('/signup', { email: uniqueEmail(), password: 'short' });
  // 400 with the reason
  assert.is(short.statusCode, 400);
  assert.match(short.body, /password must be at least 8 characters/);
  const owner = await createOwner(ctx.db);
  const taken = await b.post('/signup', { email: owner.user.email, password: 'long enough pass' });
  // a taken email is refused with a 400 that does not confirm it is registered (tests/accounts/signup-answers.test.ts)
  assert.is(taken.statusCode, 400);
  assert.match(taken.body, /cannot be used for a new account/);
});

test('behind an HTTPS proxy the session cookie is Secure', async () => {
  const { app, db } = await buildTestApp({ env: { TRUST_PROXY: 'true' } });
  try {
    const owner = await createOwner(db);
    const b = browser(app);
    await b.get('/login', { 'x-forwarded-proto': 'https' });
    const response = await b.post('/login', { email: owner.user.email, password: owner.password }, { 'x-forwarded-proto': 'https' });
    const cookie = response.cookies.find((c) => c.name === 'adk_session') as { secure?: boolean } | undefined;
    // Secure
    assert.is(cookie?.secure, true);
  } finally {
    await app.close();
  }
});

test('with SIGNUP=closed nobody can sign up', async () => {
  const { app, db } = await buildTestApp({ env: { SIGNUP: 'closed' } });
  try {
    const b = browser(app);
    const page = await b.get('/signup');
    // the page says so
    assert.is(page.statusCode, 403);
    assert.match(page.body, /Sign-up is closed/);
    const email = uniqueEmail();
    const response = await b.post('/signup', { email, password: 'long enough pass' });
    // and the form is refused
    assert.is(response.statusCode, 403);
    assert.is(await findUserByEmail(db, email), undefined);
  } finally {
    await app.close();
  }
});

test('a wrong password is refused with one message for unknown emails and wrong passwords', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const b = browser(ctx.app);
  await b.get('/login');
  const wrong = await b.post('/login', { email: owner.user.email, password: 'not the password' });
  const unknown = await b.post('/login', { email: uniqueEmail(), password: 'not the password' });
  // 401, same message
  assert.is(wrong.statusCode, 401);
  assert.is(unknown.statusCode, 401);
  assert.match(wrong.body, /Wrong email or password/);
  assert.match(unknown.body, /Wrong email or password/);
  // no session
  assert.not.ok(b.cookies.adk_session);
});

/** A log-in through the form from one client address. */
async function logIn(app: Ctx['app'], remoteAddress: string, email: string, password: string, headers: Record<string, string> = {}) {
  const b = browser(app);
  await b.get('/login');
  return app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress,
    cookies: b.cookies,
    headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams({ _csrf: b.csrf!, email, password }).toString(),
  });
}

test('failed log-ins for one email are throttled per address; the owner elsewhere still logs in', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await logIn(ctx.app, '10.0.0.1', owner.user.email, 'guess')).statusCode);
  // three wrong tries from one address, then refused
  assert.equal(statuses, [401, 401, 401, 429]);
  const refused = await logIn(ctx.app, '10.0.0.1', owner.user.email, owner.password);
  // from that address even the right password waits (no oracle), with Retry-After and an explanation
  assert.is(refused.statusCode, 429);
  assert.ok(refused.headers['retry-after']);
  assert.match(refused.body, /Too many failed log-ins for this email from your address/);
  const elsewhere = await logIn(ctx.app, '10.0.0.2', owner.user.email, owner.password);
  // the owner, from their own address, is not locked out by someone else's guesses
  assert.is(elsewhere.statusCode, 303);
});

test('a correct log-in clears the failures counted for that email and address', async (ctx) => {
  const owner = await createOwner(ctx.db);
  for (let i = 0; i < 2; i++) await logIn(ctx.app, '10.0.1.1', owner.user.email, 'typo');
  // two typos, then the right password
  assert.is((await logIn(ctx.app, '10.0.1.1', owner.user.email, owner.password)).statusCode, 303);
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await logIn(ctx.app, '10.0.1.1', owner.user.email, 'typo')).statusCode);
  // a fresh budget of three
  assert.equal(statuses, [401, 401, 401]);
});

test('behind TRUST_PROXY=1 a client-chosen X-Forwarded-For does not dodge the per-address limit', async () => {
  const { app } = await buildTestApp({ env: { TRUST_PROXY: '1' }, dashboard: { loginLimits: { perIp: 2, perEmail: 100, windowMs: 60_000 } } });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      // the proxy at 10.9.9.9 appends the real client, 203.0.113.7, after whatever the client claimed
      const response = await logIn(app, '10.9.9.9', uniqueEmail(), 'guess', { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.7` });
      statuses.push(response.statusCode);
    }
    // counted against 203.0.113.7 each time: two tries, then 429
    assert.equal(statuses, [401, 401, 429]);
  } finally {
    await app.close();
  }
});

test('with TRUST_PROXY=1 and no proxy in front, a client chooses its own address (why the README says to set it only behind one)', async () => {
  const { app } = await buildTestApp({ env: { TRUST_PROXY: '1' }, dashboard: { loginLimits: { perIp: 2, perEmail: 100, windowMs: 60_000 } } });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      // one client, 192.0.2.50, reaching the service directly and writing a new X-Forwarded-For each time
      const response = await logIn(app, '192.0.2.50', uniqueEmail(), 'guess', { 'x-forwarded-for': `198.51.100.${i}` });
      statuses.push(response.statusCode);
    }
    // each try counts against the address it claimed: the per-address limit never bites
    assert.equal(statuses, [401, 401, 401, 401]);
  } finally {
    await app.close();
  }
});

test('log-in attempts are throttled per IP', async () => {
  const { app } = await buildTestApp({ dashboard: { loginLimits: { perIp: 2, perEmail: 100, windowMs: 60_000 } } });
  try {
    const b = browser(app);
    await b.get('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await b.post('/login', { email: uniqueEmail(), password: 'guess' })).statusCode);
    // two tries from one IP, then 429
    assert.equal(statuses, [401, 401, 429]);
  } finally {
    await app.close();
  }
});

test('logging out ends the session in the database, not just in the browser', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const b = await loggedIn(ctx.app, owner.user.email, owner.password);
  const stolen = b.cookies.adk_session!;
  const response = await b.post('/logout');
  // back to the login page
  assert.is(response.statusCode, 303);
  const replay = await ctx.app.inject({ method: 'GET', url: '/bots', cookies: { adk_session: stolen }, headers: { accept: 'text/html' } });
  // the old cookie no longer opens the dashboard
  assert.is(replay.statusCode, 303);
  assert.match(replay.headers.location as string, /^\/login/);
});

test('account settings change name, time zone and alert emails', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const b = await loggedIn(ctx.app, owner.user.email, owner.password);
  const page = await b.get('/account');
  // alert emails are on by default
  assert.match(page.body, /name="alert_emails" checked/);
  const saved = await b.post('/account', { name: 'Grace', timezone: 'America/New_York' });
  assert.is(saved.statusCode, 303);
  const user = await findUserByEmail(ctx.db, owner.user.email);
  // saved, and the unchecked box turned alert emails off
  assert.is(user?.name, 'Grace');
  assert.is(user?.timezone, 'America/New_York');
  assert.is(user?.alert_emails, false);
  const bad = await b.post('/account', { name: 'Grace', timezone: 'Mars/Olympus' });
  // an unknown zone is refused
  assert.is(bad.statusCode, 400);
  assert.match(bad.body, /IANA time zone/);
  await b.post('/account', { name: 'Grace', timezone: 'UTC', alert_emails: 'on' });
  // and back on
  assert.is((await findUserByEmail(ctx.db, owner.user.email))?.alert_emails, true);
});

test('changing the password needs the current one, rotates this session and logs every other browser out', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const here = await loggedIn(ctx.app, owner.user.email, owner.password);
  const elsewhere = await loggedIn(ctx.app, owner.user.email, owner.password);
  await here.get('/account');
  const wrong = await here.post('/account/password', { current_password: 'nope', new_password: 'brand new pass', confirm_password: 'brand new pass' });
  // the current password is checked
  assert.is(wrong.statusCode, 400);
  assert.match(wrong.body, /current password is not correct/);
  const oldCookie = here.cookies.adk_session!;
  const changed = await here.post('/account/password', { current_password: owner.password, new_password: 'brand new pass', confirm_password: 'brand new pass' });
  assert.is(changed.statusCode, 303);
  const rotated = changed.cookies.find((c) => c.name === 'adk_session') as { value: string; httpOnly?: boolean } | undefined;
  // this browser gets a new session id, HttpOnly like the first
  assert.ok(rotated && rotated.value !== oldCookie);
  assert.is(rotated!.httpOnly, true);
  // and stays in with it
  assert.is((await here.get('/bots')).statusCode, 200);
  const replayed = await ctx.app.inject({ method: 'GET', url: '/bots', cookies: { adk_session: oldCookie } });
  // the old session id no longer works (a copy of it taken before the change is useless)
  assert.is(replayed.statusCode, 303);
  // the other browser is out
  assert.is((await elsewhere.get('/bots')).statusCode, 303);
  // the new password works
  await loggedIn(ctx.app, owner.user.email, 'brand new pass');
});

test('wrong current passwords are throttled like log-in: they share its per-email budget, then 429', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const session = await loggedIn(ctx.app, owner.user.email, owner.password);
  await session.get('/account');
  const statuses: number[] = [];
  for (let i = 0; i < 2; i++) {
    statuses.push((await session.post('/account/password', { current_password: `guess ${i}`, new_password: 'taken over 123', confirm_password: 'taken over 123' })).statusCode);
  }
  const login = browser(ctx.app);
  await login.get('/login');
  // a failed log-in for the same email from the same address counts in the same budget (3 here)
  assert.is((await login.post('/login', { email: owner.user.email, password: 'guess 3' })).statusCode, 401);
  const limited = await session.post('/account/password', { current_password: owner.password, new_password: 'taken over 123', confirm_password: 'taken over 123' });
  // two wrong tries answered 400; after the third failure even the right password waits
  assert.equal(statuses, [400, 400]);
  assert.is(limited.statusCode, 429);
  assert.ok(Number(limited.headers['retry-after']) > 0);
  assert.match(limited.body, /Too many wrong passwords/);
  // and the password did not change
  const user = await findUserByEmail(ctx.db, owner.user.email);
  assert.is(user?.password_hash, owner.user.password_hash);
});

test('pages carry security headers with a CSP that allows no inline script', async (ctx) => {
  const page = await browser(ctx.app).get('/login');
  const csp = page.headers['content-security-policy'] as string;
  // scripts only from our origin
  assert.match(csp, /script-src 'self'/);
  assert.not.match(csp, /script-src[^;]*unsafe-inline/);
  assert.is(page.headers['x-content-type-options'], 'nosniff');
  assert.ok(page.headers['x-frame-options']);
  // and the pages have no inline script
  assert.not.match(page.body, /<script(?![^>]*\bsrc=)[^>]*>/);
  const htmx = await ctx.app.inject({ method: 'GET', url: '/static/htmx.min.js' });
  // htmx is served from our origin
  assert.is(htmx.statusCode, 200);
  assert.match(htmx.headers['content-type'] as string, /javascript/);
});

test('a login redirect only goes to a local path', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const b = browser(ctx.app);
  await b.get('/login?next=//evil.example/x');
  const response = await b.post('/login', { email: owner.user.email, password: owner.password, next: '//evil.example/x' });
  // never to another site
  assert.is(response.headers.location, '/bots');
});

test('with the database down the app still starts, pages answer 503 and /healthz answers', async () => {
  // A pg pool pointed at a port where no database listens.
  const db = openPgDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 500 });
  const { app } = await buildTestApp({ db });
  try {
    const page = await browser(app).get('/login');
    // an HTML 503 page with Retry-After, not a crash
    assert.is(page.statusCode, 503);
    assert.ok(page.headers['retry-after']);
    assert.match(page.body, /Temporarily unavailable/);
    // liveness does not need the database
    assert.is((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  } finally {
    await app.close();
    await db.close();
  }
});

test.run();
