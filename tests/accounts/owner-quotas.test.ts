// Per-owner limits on what every owner's requests share: bots, weekly maintenance windows and
// channels. The last free place is taken once even under concurrency; admins are exempt; the
// answer is a 403 that names the limit and the setting that raises it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTestApp, createOwner, testConfig } from '../helpers/app.ts';
import { ConfigError } from '../../src/config.ts';
import { DEFAULT_QUOTAS } from '../../src/domain/quotas.ts';

type App = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<{ h: App }>('per-owner limits');

test.before(async (context) => {
  context.h = await buildTestApp({ env: { MAX_BOTS_PER_OWNER: '3', MAX_SCHEDULES_PER_OWNER: '2', MAX_CHANNELS_PER_OWNER: '2' } });
});
test.after(async ({ h }) => {
  await h.app.close();
});

function post(h: App, key: string, url: string, body: unknown) {
  return h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

test('the settings default to documented limits and refuse nonsense with the variable named', () => {
  assert.equal(testConfig().quotas, DEFAULT_QUOTAS);
  assert.equal(testConfig({ MAX_BOTS_PER_OWNER: '5000' }).quotas.bots, 5000);
  for (const [name, value] of [['MAX_BOTS_PER_OWNER', '0'], ['MAX_SCHEDULES_PER_OWNER', 'many'], ['MAX_CHANNELS_PER_OWNER', '-1']]) {
    assert.throws(() => testConfig({ [name!]: value! }), (error: unknown) => error instanceof ConfigError && error.variable === name);
  }
});

test('an owner at the bot limit gets a 403 naming the limit and MAX_BOTS_PER_OWNER, and nothing is created', async ({ h }) => {
  const { apiKey } = await createOwner(h.db);
  for (let i = 1; i <= 3; i++) assert.is((await post(h, apiKey, '/api/bots', { name: `Site ${i}` })).statusCode, 201);
  const refused = await post(h, apiKey, '/api/bots', { name: 'Site 4' });
  // a clear 4xx in the API's error shape
  assert.is(refused.statusCode, 403);
  assert.is(refused.json().success, false);
  assert.match(refused.json().message, /limit of 3 bots/);
  assert.match(refused.json().message, /MAX_BOTS_PER_OWNER/);
  // still three bots
  const list = await h.app.inject({ method: 'GET', url: '/api/bots', headers: { authorization: `Bearer ${apiKey}` } });
  assert.is(list.json().bots.length, 3);
});

test('concurrent creations cannot pass the last free place together', async ({ h }) => {
  const { apiKey } = await createOwner(h.db);
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post(h, apiKey, '/api/bots', { name: `Racer ${i}` })));
  // exactly the limit is created, the rest are refused
  assert.is(answers.filter((answer) => answer.statusCode === 201).length, 3);
  assert.is(answers.filter((answer) => answer.statusCode === 403).length, 5);
});

test('weekly windows and channels have their own limits', async ({ h }) => {
  const { apiKey } = await createOwner(h.db);
  const window = { weekday: 1, start: '02:00', minutes: 60 };
  assert.is((await post(h, apiKey, '/api/maintenance/schedules', window)).statusCode, 201);
  assert.is((await post(h, apiKey, '/api/maintenance/schedules', window)).statusCode, 201);
  const third = await post(h, apiKey, '/api/maintenance/schedules', window);
  assert.is(third.statusCode, 403);
  assert.match(third.json().message, /MAX_SCHEDULES_PER_OWNER/);

  // the account email already holds one of the two channel places
  const channel = (name: string) => ({ kind: 'webhook', name, target: 'https://hooks.example.com/agentdesk', bots: 'all' });
  assert.is((await post(h, apiKey, '/api/channels', channel('First hook'))).statusCode, 201);
  const over = await post(h, apiKey, '/api/channels', channel('Second hook'));
  assert.is(over.statusCode, 403);
  assert.match(over.json().message, /MAX_CHANNELS_PER_OWNER/);
});

test('admins are exempt, and one owner at a limit does not limit another', async ({ h }) => {
  const admin = await createOwner(h.db, { role: 'admin' });
  for (let i = 1; i <= 5; i++) assert.is((await post(h, admin.apiKey, '/api/bots', { name: `Fleet ${i}` })).statusCode, 201);
  const other = await createOwner(h.db);
  assert.is((await post(h, other.apiKey, '/api/bots', { name: 'Mine' })).statusCode, 201);
});

test.run();
