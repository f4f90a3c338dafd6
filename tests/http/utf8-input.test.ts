// Text that is not UTF-8 is refused, never stored as U+FFFD: raw invalid bytes in a JSON or form
// body ("\xff\xfe", an overlong "\xc0\xaf"), percent-escapes that do not spell UTF-8 in a form or a
// query string, and lone surrogates that JSON escapes can spell ("\ud800"). Each is a 400 naming
// the field (or saying the body is not UTF-8), on every kind of input.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createBotFor, createOwner, heartbeatBody, postHeartbeat } from '../helpers/app.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { b: Browser; botId: string; token: string; apiKey: string };
const test = suite<Ctx>('invalid UTF-8 and lone surrogates');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ dashboard: { loginLimits: { perIp: 1000, perEmail: 1000, windowMs: 60_000 } } }));
  const owner = await createOwner(ctx.db);
  ctx.apiKey = owner.apiKey;
  const created = await createBotFor(ctx.db, owner.user.id);
  ctx.botId = created.bot.id;
  ctx.token = created.token;
  ctx.b = await loggedIn(ctx.app, owner.user.email, owner.password);
});
test.after(async (ctx) => {
  await ctx.app.close();
});

/** A JSON body with raw bytes spliced in where `@@` stands. */
const jsonWithBytes = (json: string, bytes: number[]) => {
  const [before, after] = json.split('@@') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
};

const api = (ctx: Ctx, method: 'POST' | 'PUT', url: string, payload: string | Buffer) =>
  ctx.app.inject({ method, url, headers: { authorization: `Bearer ${ctx.apiKey}`, 'content-type': 'application/json' }, payload });

const storedSiteUrl = async (ctx: Ctx) => (await ctx.db.query<{ site_url: string | null }>('SELECT wordpress_site_url AS site_url FROM bots WHERE id = $1', [ctx.botId])).rows[0]!.site_url;

test('a heartbeat whose site_url holds the raw bytes \\xff\\xfe is a 400, and nothing is stored', async (ctx) => {
  const body = jsonWithBytes(JSON.stringify(heartbeatBody({ site_url: 'https://shop.example.com/@@' })), [0xff, 0xfe]);
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/api/bots/wordpress-heartbeat',
    headers: { 'content-type': 'application/json', 'x-bot-token': ctx.token },
    payload: body,
  });
  // 400 in the seed shape, saying what is wrong
  assert.is(response.statusCode, 400);
  assert.equal(response.json(), { success: false, message: 'The request body is not valid UTF-8' });
  // no U+FFFD reached the database
  assert.is(await storedSiteUrl(ctx), null);
});

test('a bot name with an overlong \\xc0\\xaf (or another invalid sequence) in a JSON body is a 400', async (ctx) => {
  for (const bytes of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
    const created = await api(ctx, 'POST', '/api/bots', jsonWithBytes('{"name":"Shop @@ bot"}', bytes));
    // an overlong, a CESU surrogate, a truncated and a five-byte sequence: all refused
    assert.is(created.statusCode, 400, bytes.join(','));
    assert.is(created.json().message, 'The request body is not valid UTF-8');
  }
  const edited = await api(ctx, 'PUT', `/api/bots/${ctx.botId}`, jsonWithBytes('{"name":"Shop @@"}', [0xc0, 0xaf]));
  assert.is(edited.statusCode, 400);
});

test('a lone surrogate in a JSON string is a 400 naming the field', async (ctx) => {
  const cases: Array<[string, () => ReturnType<typeof api>, string]> = [
    ['bots API name', () => api(ctx, 'POST', '/api/bots', '{"name":"Shop \\ud800 bot"}'), 'name must be valid Unicode text'],
    ['bots API description', () => api(ctx, 'PUT', `/api/bots/${ctx.botId}`, '{"description":"line\\udfff"}'), 'description must be valid Unicode text'],
    ['channel target', () => api(ctx, 'POST', '/api/channels', '{"kind":"email","name":"Ops","target":"ops\\ud83d@example.com"}'), 'target must be valid Unicode text'],
    ['maintenance reason', () => api(ctx, 'POST', '/api/maintenance', '{"minutes":30,"reason":"deploy \\ud800"}'), 'reason must be valid Unicode text'],
  ];
  for (const [name, send, message] of cases) {
    const response = await send();
    // 400 with the field's name
    assert.is(response.statusCode, 400, name);
    assert.match(response.json().message, message, name);
  }
  const heartbeat = await postHeartbeat(ctx.app, ctx.token, JSON.stringify(heartbeatBody()).replace('shop.example.com', 'shop.example.com/\\ud800'));
  // the heartbeat names site_url, and stores nothing
  assert.is(heartbeat.statusCode, 400);
  assert.is(heartbeat.json().message, 'site_url must be valid Unicode text (it holds an unpaired surrogate)');
  assert.is(await storedSiteUrl(ctx), null);
});

test('whole surrogate pairs (emoji) and other non-ASCII text are still accepted', async (ctx) => {
  const created = await api(ctx, 'POST', '/api/bots', JSON.stringify({ name: 'Café 🤖 ボット', description: 'résumé 😀\nsecond line' }));
  // 201, stored exactly as sent
  assert.is(created.statusCode, 201);
  assert.is(created.json().bot.name, 'Café 🤖 ボット');
  const escaped = await api(ctx, 'POST', '/api/bots', '{"name":"Pair \\ud83e\\udd16"}');
  // an escaped pair is one character, not two lone halves
  assert.is(escaped.statusCode, 201);
  assert.is(escaped.json().bot.name, 'Pair 🤖');
});

const postForm = (ctx: Ctx, url: string, form: string | Buffer) =>
  ctx.app.inject({
    method: 'POST',
    url,
    cookies: ctx.b.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    payload: Buffer.concat([Buffer.from(`_csrf=${encodeURIComponent(ctx.b.csrf!)}&`), Buffer.from(form)]),
  });

test('a dashboard form with raw invalid bytes, or escapes that do not spell UTF-8, is a 400 naming the field', async (ctx) => {
  const raw = await postForm(ctx, '/bots', Buffer.concat([Buffer.from('name=Shop '), Buffer.from([0xc0, 0xaf])]));
  // raw bytes: the body is refused as a whole
  assert.is(raw.statusCode, 400);
  assert.match(raw.body, 'The request body is not valid UTF-8');
  const cases: Array<[string, string, string]> = [
    ['/bots', 'name=Shop%C0%AF', 'name'],
    ['/bots', 'name=%FF%FE', 'name'],
    ['/account', 'name=%ED%A0%80', 'name'],
    [`/bots/${ctx.botId}/edit`, 'name=ok&description=caf%C3', 'description'],
    [`/bots/${ctx.botId}/maintenance`, 'minutes=30&reason=%E2%82', 'reason'],
  ];
  for (const [url, form, field] of cases) {
    const response = await postForm(ctx, url, form);
    // 400, and the page names the field
    assert.is(response.statusCode, 400, `${url} ${form}`);
    assert.match(response.body, `The field &quot;${field}&quot; is not valid UTF-8`, `${url} ${form}`);
  }
  const fine = await postForm(ctx, '/bots', 'name=Caf%C3%A9+%F0%9F%A4%96');
  // well-formed escapes still work (the new bot's page, with its token)
  assert.is(fine.statusCode, 201);
  assert.match(fine.body, 'Café 🤖');
});

test('a query string whose escapes do not spell UTF-8 is a 400 naming the parameter', async (ctx) => {
  for (const url of ['/bots?q=%FF', '/bots?q=shop%C0%AF', '/login?next=%ED%A0%80', '/api/bots?page=1&x=%E2%82']) {
    const response = await ctx.app.inject({ method: 'GET', url, cookies: ctx.b.cookies, headers: { accept: url.startsWith('/api') ? 'application/json' : 'text/html' } });
    // 400 before the route runs
    assert.is(response.statusCode, 400, `${url}: ${response.body.slice(0, 300)}`);
    assert.match(response.body, /query parameter (&quot;|\\?")(q|next|x)(&quot;|\\?") is not valid UTF-8/, url);
  }
  const fine = await ctx.app.inject({ method: 'GET', url: '/bots?q=caf%C3%A9', cookies: ctx.b.cookies, headers: { accept: 'text/html' } });
  // a well-formed escape is a normal search
  assert.is(fine.statusCode, 200);
});

test('heartbeats sent together with a lone-surrogate one: only that one is refused', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const bots = await Promise.all(Array.from({ length: 20 }, () => createBotFor(ctx.db, owner.user.id)));
  const bad = JSON.stringify(heartbeatBody()).replace('shop.example.com', 'shop.example.com/\\udc00');
  const answers = await Promise.all(bots.map(({ token }, i) => postHeartbeat(ctx.app, token, i === 7 ? bad : heartbeatBody())));
  // the bad one gets 400, every neighbour 200
  assert.equal(
    answers.map((a) => a.statusCode),
    bots.map((_, i) => (i === 7 ? 400 : 200)),
  );
});

test.run();
