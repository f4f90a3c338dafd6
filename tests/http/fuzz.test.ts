// Property-based fuzzing (docs/RELIABILITY.md "Bad input"): hostile and random input on the heartbeat,
// validate, bots API and dashboard form endpoints never gets a 5xx, only a documented status, and
// every JSON error has the seed's {success:false, message} shape. Inputs mix fast-check's random
// values with a hostile corpus kept as data (tests/fixtures/hostile-inputs.json). Runs are bounded;
// a failure prints the seed and the shrunk input that reproduces it.
import fs from 'node:fs';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { suite } from 'uvu';
import { buildTestApp, createBotFor, createOwner } from '../helpers/app.ts';
import { loggedIn, type Browser } from '../helpers/dashboard.ts';

const corpus = JSON.parse(fs.readFileSync(new URL('../fixtures/hostile-inputs.json', import.meta.url), 'utf8')) as { strings: string[]; jsonBodies: string[] };
const RUNS = 120;

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { token: string; disabledToken: string; apiKey: string; botId: string; b: Browser };
const test = suite<Ctx>('fuzzing the endpoints');

test.before(async (ctx) => {
  // Limits raised so the properties meet the validation paths, not the throttles.
  Object.assign(ctx, await buildTestApp({ env: { AUTH_FAILURE_LIMIT: '1000000', HEARTBEAT_RATE_LIMIT: '1000000' } }));
  const owner = await createOwner(ctx.db);
  ctx.apiKey = owner.apiKey;
  const bot = await createBotFor(ctx.db, owner.user.id);
  ctx.token = bot.token;
  ctx.botId = bot.bot.id;
  ctx.disabledToken = (await createBotFor(ctx.db, owner.user.id, { name: 'Off', is_active: false })).token;
  ctx.b = await loggedIn(ctx.app, owner.user.email, owner.password);
});
test.after(async (ctx) => {
  await ctx.app.close();
});

/** Percent-encodes the UTF-8 bytes (encodeURIComponent throws on a lone surrogate; a client just sends bytes). */
const percentEncode = (value: string) => [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

// Any string: random (full Unicode, lone surrogates included) or from the corpus.
const hostile = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom(...corpus.strings));
// A header value Node will send (no line breaks or other controls; those never reach us).
const headerValue = hostile.map((value) => value.replace(/[^\x20-\x7e]/g, ''));
const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), hostile, fc.constant(null));

/** The failure, with the input, when a response breaks the contract. */
function check(response: LightMyRequestResponse, allowed: number[], input: unknown, { json = true } = {}) {
  const where = `${response.statusCode} for ${JSON.stringify(input).slice(0, 300)}: ${response.body.slice(0, 200)}`;
  if (!allowed.includes(response.statusCode)) throw new Error(`unexpected status ${where}`);
  if (response.statusCode >= 400 && (json || String(response.headers['content-type']).includes('json'))) {
    const body = response.json() as { success?: unknown; message?: unknown };
    if (body.success !== false || typeof body.message !== 'string' || body.message === '') throw new Error(`not the error shape: ${where}`);
  }
}

test('heartbeat: any token and any body is 200, 400, 401, 403, 413 or 415, in the error shape', async (ctx) => {
  const token = fc.oneof(fc.constant(ctx.token), fc.constant(ctx.disabledToken), headerValue, fc.constant(undefined));
  const field = fc.oneof(anyJson, fc.constantFrom('https://shop.example.com', '1.1.0', '6.1.1'), fc.boolean());
  const body = fc.oneof(
    fc.record({ site_url: field, plugin_version: field, wp_version: field, is_active: field }, { requiredKeys: [] }),
    fc.dictionary(hostile, anyJson, { maxKeys: 5 }).map((value) => JSON.stringify(value)),
    fc.constantFrom(...corpus.jsonBodies),
    anyJson,
  );
  // the heartbeat's documented answers (docs/contract.md "Heartbeat API"); 5xx is only for a database outage
  await fc.assert(
    fc.asyncProperty(token, body, async (botToken, payload) => {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/api/bots/wordpress-heartbeat',
        headers: { 'content-type': 'application/json', ...(botToken === undefined ? {} : { 'x-bot-token': botToken }) },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
      check(response, [200, 400, 401, 403, 413, 415], { botToken, payload });
    }),
    { numRuns: RUNS },
  );
});

test('validate: any token header is 200, 401 or 403 with valid:false on refusal', async (ctx) => {
  const token = fc.oneof(fc.constant(ctx.token), fc.constant(ctx.disabledToken), headerValue);
  await fc.assert(
    fc.asyncProperty(token, async (botToken) => {
      const response = await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', headers: { 'x-bot-token': botToken } });
      check(response, [200, 401, 403], { botToken });
      if (response.statusCode !== 200 && response.json().valid !== false) throw new Error(`valid is not false for ${botToken}`);
    }),
    { numRuns: RUNS },
  );
});

test('bots API: any body on create and update, any id, is a documented answer', async (ctx) => {
  const field = fc.oneof(anyJson, fc.integer(), fc.boolean());
  const fields = fc.record(
    { name: field, description: field, language: field, model: field, personality: field, welcome_message: field, is_active: field, stale_grace_seconds: field, muted_until: field },
    { requiredKeys: [] },
  );
  const body = fc.oneof(fields.map((value) => JSON.stringify(value)), fc.constantFrom(...corpus.jsonBodies), anyJson.map((value) => JSON.stringify(value)));
  const id = fc.oneof(fc.constant(ctx.botId), hostile.map(percentEncode));
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('POST', 'PUT', 'GET', 'DELETE-other'), id, body, async (verb, botId, payload) => {
      const headers = { authorization: `Bearer ${ctx.apiKey}`, 'content-type': 'application/json' };
      // DELETE is tried on ids other than the fixture bot's, which the other runs keep using
      const method = verb === 'DELETE-other' ? 'DELETE' : verb;
      const url = method === 'POST' ? '/api/bots' : `/api/bots/${verb === 'DELETE-other' && botId === ctx.botId ? 'x' : botId}`;
      const response = await ctx.app.inject({ method: method as 'POST', url, headers, payload: method === 'POST' || method === 'PUT' ? payload : undefined });
      check(response, [200, 201, 400, 404, 413, 414, 415], { verb, botId, payload });
    }),
    { numRuns: RUNS },
  );
});

/** A url-encoded form from pairs, so the same field may come twice; `raw` sends a value unencoded (bad escapes such as %FF or a lone %). */
const formOf = (pairs: Array<[string, string, boolean]>) =>
  pairs.map(([key, value, raw]) => `${percentEncode(key)}=${raw ? value.replace(/[&#\s]/g, '') : percentEncode(value)}`).join('&');

test('dashboard forms and list queries: any fields, repeated or hostile, never a 5xx', async (ctx) => {
  const key = fc.oneof(fc.constantFrom('name', 'description', 'language', 'model', 'welcome_message', 'is_active', 'stale_grace_minutes', 'duration', 'email', 'password', 'timezone', 'q', 'status', 'page', 'next'), hostile);
  const pairs = fc.array(fc.tuple(key, hostile, fc.boolean()), { maxLength: 6 });
  const target = fc.constantFrom(
    ['POST', '/bots'],
    ['POST', `/bots/${ctx.botId}/edit`],
    ['POST', `/bots/${ctx.botId}/mute`],
    ['POST', `/bots/${ctx.botId}/grace`],
    ['POST', '/account'],
    ['POST', '/login'],
    ['POST', '/signup'],
    ['GET', '/bots'],
    ['GET', '/bots/list'],
    ['GET', '/login'],
  );
  await fc.assert(
    fc.asyncProperty(target, pairs, async ([method, url], fields) => {
      const form = formOf(fields);
      const response = await ctx.app.inject(
        method === 'GET'
          ? { method: 'GET', url: `${url}?${form}`, cookies: ctx.b.cookies }
          : {
              method: 'POST',
              url,
              cookies: ctx.b.cookies,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              payload: `_csrf=${encodeURIComponent(ctx.b.csrf!)}&${form}`,
            },
      );
      check(response, [200, 201, 303, 400, 401, 403, 404, 413, 429], { method, url, fields }, { json: false });
    }),
    { numRuns: RUNS },
  );
});

test('every corpus entry, in every kind of input, gets a documented answer', async (ctx) => {
  for (const value of corpus.strings) {
    const heartbeat = await ctx.app.inject({
      method: 'POST',
      url: '/api/bots/wordpress-heartbeat',
      headers: { 'content-type': 'application/json', 'x-bot-token': ctx.token },
      payload: JSON.stringify({ site_url: value, plugin_version: value, wp_version: '6.1.1', is_active: true }),
    });
    check(heartbeat, [200, 400], { heartbeat: value });
    const validate = await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', headers: { 'x-bot-token': value.replace(/[^\x20-\x7e]/g, '') } });
    check(validate, [200, 401], { validate: value });
    const api = await ctx.app.inject({
      method: 'PUT',
      url: `/api/bots/${ctx.botId}`,
      headers: { authorization: `Bearer ${ctx.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: value, description: value }),
    });
    check(api, [200, 400], { api: value });
    const form = await ctx.app.inject({
      method: 'POST',
      url: `/bots/${ctx.botId}/edit`,
      cookies: ctx.b.cookies,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(ctx.b.csrf!)}&${formOf([['name', value, false], ['welcome_message', value, false]])}`,
    });
    check(form, [303, 400], { form: value }, { json: false });
    const list = await ctx.app.inject({ method: 'GET', url: `/bots?${formOf([['q', value, false]])}`, cookies: ctx.b.cookies });
    check(list, [200, 400], { list: value }, { json: false });
  }
  for (const body of corpus.jsonBodies) {
    const heartbeat = await ctx.app.inject({ method: 'POST', url: '/api/bots/wordpress-heartbeat', headers: { 'content-type': 'application/json', 'x-bot-token': ctx.token }, payload: body });
    check(heartbeat, [200, 400], { heartbeat: body });
    const api = await ctx.app.inject({ method: 'POST', url: '/api/bots', headers: { authorization: `Bearer ${ctx.apiKey}`, 'content-type': 'application/json' }, payload: body });
    check(api, [201, 400], { api: body });
  }
});

test.run();
