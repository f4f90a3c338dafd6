// docs/RELIABILITY.md "Abuse" (a leaked API key): personal API keys can be listed and revoked, in the API and on the
// account page, and a password change revokes them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createOwner } from '../helpers/app.ts';
import { loggedIn } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('API keys');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp());
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const withKey = (ctx: Ctx, key: string, method: 'GET' | 'DELETE', url: string) =>
  ctx.app.inject({ method, url, headers: { authorization: `Bearer ${key}` } });

test('the API lists an owner\'s keys by prefix, never the keys themselves', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const response = await withKey(ctx, owner.apiKey, 'GET', '/api/keys');
  // one key, shown by its prefix, not cacheable
  assert.is(response.statusCode, 200);
  assert.is(response.headers['cache-control'], 'no-store');
  const { keys } = response.json();
  assert.is(keys.length, 1);
  assert.ok(owner.apiKey.startsWith(keys[0].prefix));
  assert.not.ok(response.body.includes(owner.apiKey));
});

test('a key revoked through the API stops working at once; another owner\'s key answers 404', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const other = await createOwner(ctx.db);
  const otherKeyId = (await withKey(ctx, other.apiKey, 'GET', '/api/keys')).json().keys[0].id;
  const foreign = await withKey(ctx, owner.apiKey, 'DELETE', `/api/keys/${otherKeyId}`);
  // someone else's key is not found, and keeps working
  assert.is(foreign.statusCode, 404);
  assert.is((await withKey(ctx, other.apiKey, 'GET', '/api/bots')).statusCode, 200);
  const ownId = (await withKey(ctx, owner.apiKey, 'GET', '/api/keys')).json().keys[0].id;
  const revoked = await withKey(ctx, owner.apiKey, 'DELETE', `/api/keys/${ownId}`);
  // revoked, and from then on refused
  assert.is(revoked.statusCode, 200);
  assert.is((await withKey(ctx, owner.apiKey, 'GET', '/api/bots')).statusCode, 401);
  // an id that is not a uuid is simply not found
  assert.is((await withKey(ctx, other.apiKey, 'DELETE', '/api/keys/not-a-uuid')).statusCode, 404);
});

test('the account page lists keys, creates one shown once, and revokes one', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const b = await loggedIn(ctx.app, owner.user.email, owner.password);
  const page = await b.get('/account');
  // the existing key by its prefix
  assert.ok(page.body.includes(owner.apiKey.slice(0, 10)));
  const created = await b.post('/account/api-keys');
  const newKey = /(adk_[\w-]{43})/.exec(created.body)?.[1];
  // a new key, shown in full this once, that works
  assert.is(created.statusCode, 201);
  assert.ok(newKey);
  assert.is((await withKey(ctx, newKey!, 'GET', '/api/bots')).statusCode, 200);
  assert.not.ok((await b.get('/account')).body.includes(newKey!));
  const keyId = (await withKey(ctx, newKey!, 'GET', '/api/keys')).json().keys.find((key: { prefix: string }) => newKey!.startsWith(key.prefix)).id;
  const revoked = await b.post(`/account/api-keys/${keyId}/revoke`);
  // revoked from the page
  assert.is(revoked.statusCode, 303);
  assert.is((await withKey(ctx, newKey!, 'GET', '/api/bots')).statusCode, 401);
});

test('changing the password revokes every API key and says so', async (ctx) => {
  const owner = await createOwner(ctx.db);
  const b = await loggedIn(ctx.app, owner.user.email, owner.password);
  await b.get('/account');
  const changed = await b.post('/account/password', { current_password: owner.password, new_password: 'a brand new one', confirm_password: 'a brand new one' });
  // the key made under the old password no longer works
  assert.is(changed.statusCode, 303);
  assert.is((await withKey(ctx, owner.apiKey, 'GET', '/api/bots')).statusCode, 401);
  const page = await b.get(changed.headers.location as string);
  // the page tells the owner
  assert.match(page.body, /your 1 API key\(s\) were revoked/);
});

test('the key routes are in /docs/openapi.json', async (ctx) => {
  const spec = (await ctx.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
  // list and revoke, with their response schemas
  assert.ok(spec.paths['/api/keys']?.get?.responses?.['200']);
  assert.ok(spec.paths['/api/keys/{id}']?.delete?.responses?.['404']);
});

test.run();
