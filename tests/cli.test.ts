import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openPgDatabase } from '../src/db/pg-driver.ts';
import { embeddedPaths } from '../src/db/embedded-postgres.ts';
import { buildTestApp, heartbeatBody, postHeartbeat } from './helpers/app.ts';
import { createPostgresDatabase } from './helpers/database.ts';
import { startService } from './helpers/service-process.ts';

const root = path.resolve(import.meta.dirname, '..');

interface Ctx {
  env: Record<string, string>;
  dataDir: string;
}

function cli(ctx: Ctx, ...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(root, 'bin/agentdesk.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...ctx.env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, json: () => JSON.parse(result.stdout) };
}

const test = suite<Ctx>('agentdesk CLI');

test.before(async (ctx) => {
  ctx.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cli-'));
  ctx.env = { DATA_DIR: ctx.dataDir, DATABASE_URL: await createPostgresDatabase() };
});
test.after((ctx) => {
  fs.rmSync(ctx.dataDir, { recursive: true, force: true });
});

test('migrate prints the files it applied as JSON', (ctx) => {
  const result = cli(ctx, 'migrate');
  // one JSON object, listing the core schema
  assert.is(result.code, 0, result.stderr);
  assert.ok(result.json().applied.includes('001_core_schema.sql'));
});

test('create-user, create-bot and create-api-key give a user, a token shown once and a key that works', async (ctx) => {
  const user = cli(ctx, 'create-user', '--email', 'Owner@Example.com', '--password', 'long enough', '--name', 'Owner', '--timezone', 'Europe/Paris');
  // the user, with the email normalised
  assert.is(user.code, 0, user.stderr);
  assert.is(user.json().email, 'owner@example.com');
  assert.match(user.json().id, /^[0-9a-f-]{36}$/);

  const bot = cli(ctx, 'create-bot', '--owner', 'owner@example.com', '--name', 'Shop bot', '--language', 'fr', '--welcome-message', 'Bonjour');
  // a secret token and a public widget key
  assert.is(bot.code, 0, bot.stderr);
  assert.match(bot.json().token, /^bot_[A-Za-z0-9_-]{43}$/);
  assert.match(bot.json().widget_key, /^pub_/);

  const key = cli(ctx, 'create-api-key', '--owner', 'owner@example.com');
  // a personal API key
  assert.is(key.code, 0, key.stderr);
  assert.match(key.json().key, /^adk_/);

  // The token and key work against the service on the same database.
  const db = openPgDatabase({ connectionString: ctx.env.DATABASE_URL!, poolSize: 2 });
  const { app } = await buildTestApp({ db });
  try {
    const heartbeat = await postHeartbeat(app, bot.json().token);
    const read = await app.inject({ url: `/api/bots/${bot.json().id}`, headers: { authorization: `Bearer ${key.json().key}` } });
    // the heartbeat is accepted and the owner sees the bot connected, with its language and welcome message
    assert.is(heartbeat.statusCode, 200);
    assert.is(read.json().wordpress_connected, true);
    assert.is(read.json().language, 'fr');
    assert.is(read.json().welcome_message, 'Bonjour');
  } finally {
    await app.close();
    await db.close();
  }
});

test('create-user --admin makes an admin', (ctx) => {
  const result = cli(ctx, 'create-user', '--email', 'admin@example.com', '--password', 'long enough', '--admin');
  // the role is reported
  assert.is(result.json().role, 'admin');
});

test('errors go to stderr with a non-zero exit and nothing on stdout', (ctx) => {
  const cases: Array<[string[], RegExp]> = [
    [['create-user', '--password', 'long enough'], /--email is required/],
    [['create-user', '--email', 'nope', '--password', 'long enough'], /email must be an email address/],
    [['create-user', '--email', 'short@example.com', '--password', 'short'], /password must be at least 8 characters/],
    [['create-user', '--email', 'tz@example.com', '--password', 'long enough', '--timezone', 'Mars/Base'], /timezone must be an IANA time zone/],
    [['create-user', '--email', 'owner@example.com', '--password', 'long enough'], /already exists/],
    [['create-bot', '--owner', 'nobody@example.com', '--name', 'x'], /No user with email nobody@example.com/],
    [['create-bot', '--owner', 'owner@example.com'], /--name is required/],
    [['create-bot', '--owner', 'owner@example.com', '--name', 'x', '--language', 'english!'], /language must be a language code/],
    [['create-api-key'], /--owner is required/],
    [['create-user', '--email', 'a@b.co', '--password', 'long enough', '--bogus'], /Unknown option '--bogus'/],
    [['launch-rockets'], /Unknown command "launch-rockets"/],
  ];
  for (const [args, message] of cases) {
    const result = cli(ctx, ...args);
    // refused with a clear message
    assert.is(result.code, 1, args.join(' '));
    assert.match(result.stderr, message);
    assert.is(result.stdout, '');
  }
});

test('a bad environment variable is named in the error', (ctx) => {
  const result = cli({ ...ctx, env: { ...ctx.env, STALE_AFTER: 'soon' } }, 'migrate');
  // the variable and what it expects
  assert.is(result.code, 1);
  assert.match(result.stderr, /STALE_AFTER="soon": expected a duration/);
});

test.run();

const embedded = suite<{ dataDir: string }>('agentdesk CLI on the embedded PostgreSQL');
embedded.before.each((ctx) => {
  ctx.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cli-pg-'));
});
embedded.after.each((ctx) => {
  fs.rmSync(ctx.dataDir, { recursive: true, force: true });
});

embedded('with no service running, a command starts the embedded PostgreSQL for itself and stops it again', (ctx) => {
  const env = { env: { DATA_DIR: ctx.dataDir }, dataDir: ctx.dataDir };
  const user = cli(env, 'create-user', '--email', 'alone@example.com', '--password', 'long enough');
  const again = cli(env, 'create-user', '--email', 'alone@example.com', '--password', 'long enough');
  // the user is created in DATA_DIR/postgres and is still there for the next command
  assert.is(user.code, 0, user.stderr);
  assert.is(again.code, 1);
  assert.match(again.stderr, /already exists/);
  // and nothing is left running: no postmaster.pid, no claim on DATA_DIR
  assert.not.ok(fs.existsSync(path.join(embeddedPaths(ctx.dataDir).directory, 'postmaster.pid')));
  assert.not.ok(fs.existsSync(embeddedPaths(ctx.dataDir).lock));
});

embedded('says clearly that another process holds DATA_DIR when no server answers', (ctx) => {
  // A live process (this test runner) has held DATA_DIR for a while, as a service stuck at start would.
  const lock = embeddedPaths(ctx.dataDir).lock;
  fs.writeFileSync(lock, String(process.pid));
  const tenMinutesAgo = new Date(Date.now() - 600_000);
  fs.utimesSync(lock, tenMinutesAgo, tenMinutesAgo);
  const result = cli({ env: { DATA_DIR: ctx.dataDir }, dataDir: ctx.dataDir }, 'create-user', '--email', 'a@b.co', '--password', 'long enough');
  // the message names the pid and what to do
  assert.is(result.code, 1);
  assert.match(result.stderr, new RegExp(`in use by another AgentDesk process \\(pid ${process.pid}\\)`));
  assert.match(result.stderr, /set DATABASE_URL/);
});

embedded('while the service runs, commands use its PostgreSQL and the service sees their rows at once', async (ctx) => {
  const starting = startService({ LOG_LEVEL: 'warn' }, { embedded: true, dataDir: ctx.dataDir });
  starting.catch(() => {}); // awaited below
  // As soon as the service has claimed DATA_DIR (its PostgreSQL may not be up yet), run the CLI.
  const lock = embeddedPaths(ctx.dataDir).lock;
  for (let i = 0; i < 600 && !fs.existsSync(lock); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const env = { env: { DATA_DIR: ctx.dataDir }, dataDir: ctx.dataDir };
  const user = cli(env, 'create-user', '--email', 'live@example.com', '--password', 'long enough');
  const bot = cli(env, 'create-bot', '--owner', 'live@example.com', '--name', 'Live');
  const service = await starting;
  try {
    // both commands succeed while the service holds DATA_DIR
    assert.is(user.code, 0, user.stderr);
    assert.is(bot.code, 0, bot.stderr);
    const response = await fetch(`${service.url}/api/bots/wordpress-heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bot-token': bot.json().token },
      body: JSON.stringify(heartbeatBody()),
    });
    // and the service knows the new bot
    assert.is(response.status, 200);
  } finally {
    await service.stop();
  }
  // a graceful stop releases DATA_DIR
  assert.not.ok(fs.existsSync(embeddedPaths(ctx.dataDir).lock));
});

embedded.run();
