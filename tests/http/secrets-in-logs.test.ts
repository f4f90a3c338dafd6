// Secrets never reach logs or metric labels (docs/RELIABILITY.md "Secrets"): bot tokens,
// API keys, passwords, session cookies and mail-link tokens sent to every kind of route are absent
// from every log line (at trace level, the most talkative) and from the /metrics text.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { redactUrl } from '../../src/http/log-redaction.ts';
import { buildTestApp, createBotFor, createOwner, heartbeatBody } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>> & { lines: string[] };
const test = suite<Ctx>('secrets in logs and metrics');

test.before(async (ctx) => {
  ctx.lines = [];
  Object.assign(ctx, await buildTestApp({ logger: { level: 'trace', stream: { write: (line: string) => void ctx.lines.push(line) } } }));
});
test.after(async (ctx) => {
  await ctx.app.close();
});

test('a mail link\'s token never appears in the request log, other query strings do', async (ctx) => {
  const token = 'eyJsZWFrIjoibWUifQ.c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ';
  await ctx.app.inject({ method: 'GET', url: `/alerts/mute?t=${token}` });
  await ctx.app.inject({ method: 'POST', url: `/alerts/unsubscribe?t=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
  const log = ctx.lines.join('');
  // the path is logged, the token is not
  assert.ok(log.includes('/alerts/mute?[redacted]'));
  assert.not.ok(log.includes(token));
  assert.not.ok(log.includes('c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ'));
  // other paths keep their query string (useful when debugging)
  assert.is(redactUrl('/bots?q=shop'), '/bots?q=shop');
});

test('tokens, keys, passwords and cookies sent to every kind of route stay out of logs and metrics', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const { token } = await createBotFor(ctx.db, owner.user.id);
  const b = await loggedIn(ctx.app, owner.user.email, owner.password);
  await ctx.app.inject({ method: 'POST', url: '/api/bots/wordpress-heartbeat', headers: { 'content-type': 'application/json', 'x-bot-token': token }, payload: JSON.stringify(heartbeatBody()) });
  // a failing heartbeat (bad body) with a token, and a validate call
  await ctx.app.inject({ method: 'POST', url: '/api/bots/wordpress-heartbeat', headers: { 'content-type': 'application/json', 'x-bot-token': token }, payload: '{"site_url":' });
  await ctx.app.inject({ method: 'POST', url: '/api/bots/validate', headers: { 'x-bot-token': token } });
  await ctx.app.inject({ method: 'GET', url: '/api/bots', headers: { authorization: `Bearer ${owner.apiKey}` } });
  await ctx.app.inject({ method: 'GET', url: '/api/bots', headers: { authorization: 'Bearer adk_wrong-key-that-is-secret-too' } });
  await b.post('/login', { email: owner.user.email, password: 'a wrong password 42' });
  await b.post('/account/password', { current_password: owner.password, new_password: 'new secret password', confirm_password: 'other secret password' });
  const metrics = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
  const log = ctx.lines.join('');
  // there was logging to look at
  assert.ok(ctx.lines.length > 10);
  for (const secret of [token, owner.apiKey, 'adk_wrong-key-that-is-secret-too', owner.password, 'a wrong password 42', 'new secret password', b.cookies.adk_session!]) {
    // absent from the logs and from every metric and label
    assert.not.ok(log.includes(secret), `log holds ${secret.slice(0, 6)}…`);
    assert.not.ok(metrics.includes(secret), `metrics hold ${secret.slice(0, 6)}…`);
  }
});

test('the redaction also covers a log line that includes request headers or a body', async (ctx) => {
  ctx.app.log.info({ req: { headers: { authorization: 'Bearer adk_in-a-header', 'x-bot-token': 'bot_in-a-header', cookie: 'adk_session=abc' } } }, 'headers logged');
  ctx.app.log.info({ body: { password: 'body-password-1' } }, 'body logged');
  const log = ctx.lines.join('');
  // every one censored
  for (const secret of ['adk_in-a-header', 'bot_in-a-header', 'adk_session=abc', 'body-password-1']) assert.not.ok(log.includes(secret), secret);
  assert.ok(log.includes('[redacted]'));
});

test.run();
