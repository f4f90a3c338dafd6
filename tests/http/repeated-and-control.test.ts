// docs/RELIABILITY.md "Bad input": a repeated field or a control character, on any form, query string or
// JSON body, is a 400 with a message naming the field, never a 500; the dashboard answers it with
// a page (or an htmx fragment) the user can read.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner } from '../helpers/app.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { b: Browser; botId: string; apiKey: string };
const test = suite<Ctx>('repeated fields and control characters');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ dashboard: { loginLimits: { perIp: 1000, perEmail: 1000, windowMs: 60_000 } } }));
  const owner = await createOwner(ctx.db);
  ctx.apiKey = owner.apiKey;
  ctx.botId = (await createBotFor(ctx.db, owner.user.id)).bot.id;
  ctx.b = await loggedIn(ctx.app, owner.user.email, owner.password);
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const postForm = (ctx: Ctx, url: string, form: string, headers: Record<string, string> = {}) =>
  ctx.app.inject({
    method: 'POST',
    url,
    cookies: ctx.b.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
    payload: `_csrf=${encodeURIComponent(ctx.b.csrf!)}&${form}`,
  });

test('every dashboard form answers a repeated field with 400 naming it', async (ctx) => {
  const cases: Array<[string, string, string]> = [
    ['/login', 'email=a@example.com&email=b@example.com&password=long enough', 'email'],
    ['/signup', 'email=a@example.com&password=long enough&password=other one', 'password'],
    ['/account', 'name=a&name=b', 'name'],
    ['/account/password', 'current_password=a&current_password=b', 'current_password'],
    ['/bots', 'name=a&name=b', 'name'],
    [`/bots/${ctx.botId}/edit`, 'name=a&description=x&description=y', 'description'],
    [`/bots/${ctx.botId}/mute`, 'duration=1h&duration=8h', 'duration'],
    [`/bots/${ctx.botId}/grace`, 'stale_grace_minutes=1&stale_grace_minutes=2', 'stale_grace_minutes'],
  ];
  for (const [url, form, field] of cases) {
    const response = await postForm(ctx, url, form);
    // 400, and the page says which field was sent twice
    assert.is(response.statusCode, 400, url);
    assert.match(response.body, `The field &quot;${field}&quot; must be given once`, url);
  }
});

test('every dashboard form answers a control character with 400 naming the field', async (ctx) => {
  const cases: Array<[string, string, string]> = [
    ['/login', 'email=a%00@example.com&password=long enough', 'email'],
    ['/signup', 'email=a@example.com&password=long enough&name=A%1Bda', 'name'],
    ['/account', 'name=A%00', 'name'],
    ['/bots', 'name=Shop%00bot', 'name'],
    [`/bots/${ctx.botId}/edit`, 'name=a&welcome_message=hi%07', 'welcome_message'],
  ];
  for (const [url, form, field] of cases) {
    const response = await postForm(ctx, url, form);
    // 400 with the field's name
    assert.is(response.statusCode, 400, url);
    assert.match(response.body, `${field} must not contain control characters`, url);
  }
});

test('a form post without any body is a 400 that says so', async (ctx) => {
  const response = await ctx.app.inject({ method: 'POST', url: '/logout', cookies: ctx.b.cookies });
  // not a 500, and a message a client can act on
  assert.is(response.statusCode, 400);
  assert.match(response.json().message, 'The request body is missing');
});

test('the error page for a refused form links back to that form', async (ctx) => {
  const response = await postForm(ctx, `/bots/${ctx.botId}/edit`, 'name=a&name=b');
  // a way back to the form, besides the dashboard
  assert.is(response.statusCode, 400);
  assert.ok(response.body.includes(`<a href="/bots/${ctx.botId}/edit">Back to the form</a>`));
});

test('multi-line fields keep tabs and line breaks', async (ctx) => {
  const response = await postForm(ctx, `/bots/${ctx.botId}/edit`, `name=Shop&description=${encodeURIComponent('line one\r\n\tline two')}`);
  // saved
  assert.is(response.statusCode, 303);
});

test('list queries answer a repeated or control-character parameter with 400', async (ctx) => {
  for (const url of ['/bots?q=a&q=b', '/bots?q=a%00', '/bots/list?status=stale&status=never', '/login?next=/a&next=/b', '/account?saved=1&saved=1']) {
    const response = await ctx.b.get(url);
    // a page that says what is wrong
    assert.is(response.statusCode, 400, url);
    assert.match(response.body, /query parameter &quot;\w+&quot; must be given once|must not contain control characters/, url);
  }
});

test('an htmx request gets the error as a fragment to swap, not a whole page', async (ctx) => {
  const response = await ctx.app.inject({ method: 'GET', url: '/bots/list?q=a&q=b', cookies: ctx.b.cookies, headers: { 'hx-request': 'true' } });
  // 400, a fragment with role=alert and no layout
  assert.is(response.statusCode, 400);
  assert.match(response.body, /role="alert"/);
  assert.not.match(response.body, /<html/);
});

test('the bots API refuses control characters in every text field with the seed error shape', async (ctx) => {
  const api = (method: 'POST' | 'PUT', url: string, body: unknown) =>
    ctx.app.inject({ method, url, headers: { authorization: `Bearer ${ctx.apiKey}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  for (const [method, url, body, field] of [
    ['POST', '/api/bots', { name: 'a\u0000' }, 'name'],
    ['POST', '/api/bots', { name: 'a', description: 'x\u0000' }, 'description'],
    ['PUT', `/api/bots/${ctx.botId}`, { welcome_message: 'hi\u001b[31m' }, 'welcome_message'],
    ['PUT', `/api/bots/${ctx.botId}`, { name: ['a', 'b'] }, 'name'],
  ] as const) {
    const response = await api(method, url, body);
    // 400 {success:false, message naming the field}
    assert.is(response.statusCode, 400, `${method} ${url} ${field}`);
    assert.is(response.json().success, false);
    assert.match(response.json().message, field);
  }
});

test.run();
