// Look-alike accounts: "a@example.com​" (zero-width space), "ａ@example.com" (full width) and
// "a@example.com." are one address under the email rule (src/domain/email-address.ts) wherever an
// address is stored or compared: sign-up, log-in, the CLI, OPERATOR_EMAIL and email contacts.
// Stored rows from before the rule are normalized by migration 170, which reports look-alikes.
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { warnAboutEmailCollisions } from '../../src/accounts/email-collisions.ts';
import { parseCommand, runCommand } from '../../src/cli/commands.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { migrate, readMigrationFiles } from '../../src/db/migrate.ts';
import { DEFAULT_QUOTAS } from '../../src/domain/quotas.ts';
import { buildTestApp } from '../helpers/app.ts';
import { freshDatabase } from '../helpers/database.ts';
import { browser } from '../helpers/dashboard.ts';

type Ctx = Awaited<ReturnType<typeof buildTestApp>>;
const test = suite<Ctx>('look-alike accounts');

test.before(async (ctx) => {
  Object.assign(ctx, await buildTestApp({ dashboard: { loginLimits: { perIp: 1000, perEmail: 100, windowMs: 60_000 } } }));
});
test.after(async (ctx) => {
  await ctx.app.close();
});

const mailbox = () => `look-${randomBytes(4).toString('hex')}`;
const countUsers = async (ctx: Ctx, local: string) =>
  Number((await ctx.db.query<{ n: string }>(`SELECT count(*) AS n FROM users WHERE email LIKE '%' || $1 || '%'`, [local])).rows[0]!.n);

test('a full-width, trailing-dot or zero-width spelling of a registered address makes no second account', async (ctx) => {
  const local = mailbox();
  const b = browser(ctx.app);
  await b.get('/signup');
  const first = await b.post('/signup', { email: `${local}@example.com`, password: 'long enough pass' });
  // the address itself signs up
  assert.is(first.statusCode, 303);
  const fullWidth = [...local].map((ch) => (/[a-z0-9]/.test(ch) ? String.fromCodePoint(ch.codePointAt(0)! + 0xfee0) : ch)).join('');
  for (const lookAlike of [`${fullWidth}@example.com`, `${local}@example.com.`, `${local.toUpperCase()}@EXAMPLE.com`]) {
    const c = browser(ctx.app);
    await c.get('/signup');
    const again = await c.post('/signup', { email: lookAlike, password: 'long enough pass' });
    // refused as taken, like the plain spelling
    assert.is(again.statusCode, 400, lookAlike);
    assert.match(again.body, /cannot be used for a new account/);
  }
  const c = browser(ctx.app);
  await c.get('/signup');
  const invisible = await c.post('/signup', { email: `${local}@example.com\u200b`, password: 'long enough pass' });
  // an invisible character is refused with a message that says so
  assert.is(invisible.statusCode, 400);
  assert.match(invisible.body, /email must not contain invisible characters such as zero-width spaces/);
  // still one account
  assert.is(await countUsers(ctx, local), 1);
});

test('log-in finds the account under any spelling of its address, and says what is wrong with an invisible character', async (ctx) => {
  const local = mailbox();
  const b = browser(ctx.app);
  await b.get('/signup');
  await b.post('/signup', { email: `${local}@example.com`, password: 'long enough pass' });
  const c = browser(ctx.app);
  await c.get('/login');
  const fullWidthAt = await c.post('/login', { email: `${local.toUpperCase()}＠example.com.`, password: 'long enough pass' });
  // logged in
  assert.is(fullWidthAt.statusCode, 303);
  const d = browser(ctx.app);
  await d.get('/login');
  const hidden = await d.post('/login', { email: `${local}@exam\u200bple.com`, password: 'long enough pass' });
  // a 400 naming the field, not "wrong password"
  assert.is(hidden.statusCode, 400);
  assert.match(hidden.body, /email must not contain invisible characters/);
});

test('the CLI creates and finds owners under the same rule', async (ctx) => {
  const local = mailbox();
  const deps = { db: ctx.db, now: ctx.clock.now, quotas: DEFAULT_QUOTAS };
  const created = await runCommand(deps, parseCommand(['create-user', '--email', `${local}@Example.com.`, '--password', 'long enough pass']));
  // stored in its one form
  assert.is(created.email, `${local}@example.com`);
  const twin = await runCommand(deps, parseCommand(['create-user', '--email', `${local}@ｅｘａｍｐｌｅ.com`, '--password', 'long enough pass'])).catch((e: Error) => e);
  // a look-alike is taken
  assert.instance(twin, Error);
  assert.match((twin as Error).message, /already exists/);
  const bot = await runCommand(deps, parseCommand(['create-bot', '--owner', `${local.toUpperCase()}@example.com.`, '--name', 'Shop']));
  const key = await runCommand(deps, parseCommand(['create-api-key', '--owner', `${local}＠example.com`]));
  // the owner is found by any spelling
  assert.is(bot.name, 'Shop');
  assert.type(key.key, 'string');
  const hidden = await runCommand(deps, parseCommand(['create-api-key', '--owner', `${local}@example.com\u200b`])).catch((e: Error) => e);
  // and an invisible character is named
  assert.match((hidden as Error).message, /owner must not contain invisible characters/);
});

test('email contacts and OPERATOR_EMAIL are stored in the one form', async (ctx) => {
  const local = mailbox();
  const b = browser(ctx.app);
  await b.get('/signup');
  await b.post('/signup', { email: `${local}@example.com`, password: 'long enough pass' });
  await b.get('/channels');
  const added = await b.api('POST', '/api/channels', { kind: 'email', name: 'Ops', target: 'Ｏｐｓ@Example.com.' }, { 'x-csrf-token': b.csrf! });
  // the contact's address is normalized
  assert.is(added.statusCode, 201, added.body);
  assert.is(added.json().channel.target, 'ops@example.com');
  const hidden = await b.api('POST', '/api/channels', { kind: 'email', name: 'Ops', target: 'ops@example.com\u200b' }, { 'x-csrf-token': b.csrf! });
  // an invisible character is a 400 naming the field
  assert.is(hidden.statusCode, 400);
  assert.match(hidden.json().message, /target must not contain invisible characters/);
  // the operator's address too
  assert.is(loadConfig({ OPERATOR_EMAIL: 'Ops@Example.com.' }).operatorEmail, 'ops@example.com');
  assert.throws(() => loadConfig({ OPERATOR_EMAIL: 'ops@example.com\u200b' }), (error: unknown) => error instanceof ConfigError && /invisible/.test((error as Error).message));
});

test('migration 170 normalizes stored addresses, keeps every look-alike account and reports them', async () => {
  const db = await freshDatabase();
  try {
    const files = readMigrationFiles();
    await migrate(db, files.filter((file) => file.name < '170'));
    const insert = async (email: string, createdAt: string) =>
      (await db.query<{ id: string }>(`INSERT INTO users (email, password_hash, created_at) VALUES ($1, 'x', $2) RETURNING id`, [email, createdAt])).rows[0]!.id;
    const plain = await insert('a@example.com', '2026-01-01');
    const fullWidth = await insert('ａ@example.com', '2026-01-02');
    const dotted = await insert('a@example.com.', '2026-01-03');
    const zeroWidth = await insert('a@example.com\u200b', '2026-01-04');
    const loneOld = await insert('ｂ@example.com', '2026-01-05');
    const twinOlder = await insert('c@example.com.', '2026-01-06');
    const twinNewer = await insert('ｃ@example.com', '2026-01-07');
    await migrate(db, files);

    const emails = new Map((await db.query<{ id: string; email: string }>('SELECT id, email FROM users')).rows.map((row) => [row.id, row.email]));
    // no account is deleted or merged
    assert.is(emails.size, 7);
    // an address without a look-alike takes its normalized form
    assert.is(emails.get(loneOld), 'b@example.com');
    // among look-alikes, the one already normalized keeps it and the others keep their spelling
    assert.is(emails.get(plain), 'a@example.com');
    assert.is(emails.get(fullWidth), 'ａ@example.com');
    assert.is(emails.get(dotted), 'a@example.com.');
    assert.is(emails.get(zeroWidth), 'a@example.com\u200b');
    // with none normalized, the oldest takes the normalized form
    assert.is(emails.get(twinOlder), 'c@example.com');
    assert.is(emails.get(twinNewer), 'ｃ@example.com');

    const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const count = await warnAboutEmailCollisions(db, { warn: (fields, message) => warnings.push({ fields: fields as Record<string, unknown>, message }) });
    // each address held by several accounts is one warning naming them, oldest first
    assert.is(count, 2);
    assert.equal(warnings.map((w) => w.fields.normalizedEmail), ['a@example.com', 'c@example.com']);
    assert.equal(warnings[0]!.fields.userIds, [plain, fullWidth, dotted, zeroWidth]);
    assert.equal(warnings[1]!.fields.userIds, [twinOlder, twinNewer]);
    assert.match(warnings[0]!.message, /user_email_collisions/);

    await db.query('DELETE FROM users WHERE id = ANY($1::uuid[])', [[fullWidth, dotted, zeroWidth, twinNewer]]);
    // once the operator resolves them, the report is empty
    assert.is(await warnAboutEmailCollisions(db, { warn: () => assert.unreachable('no warning expected') }), 0);
  } finally {
    await db.close();
  }
});

test.run();
