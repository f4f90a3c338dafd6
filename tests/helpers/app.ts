import type { FastifyInstance } from 'fastify';
// Builds the real app on the real test database, with a clock the test moves explicitly.
import { buildApp, type AppDeps } from '../../src/app.ts';
import { hashPassword, issueApiKey } from '../../src/accounts/credentials.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { insertApiKey, insertUser, type UserRow } from '../../src/db/users.ts';
import { createBotService } from '../../src/bots/bot-service.ts';
import type { BotRow } from '../../src/db/bots.ts';
import { testDatabase } from './database.ts';
import { randomBytes } from 'node:crypto';

export interface Clock {
  now: () => Date;
  advance(ms: number): void;
  set(date: Date): void;
}

export function createClock(start = new Date('2026-01-05T10:00:00Z')): Clock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (date) => {
      current = date.getTime();
    },
  };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/tmp/agentdesk-test-data', ...env });
}

export async function buildTestApp(options: { env?: Record<string, string>; clock?: Clock; db?: Database } & Partial<AppDeps> = {}) {
  const db = options.db ?? (await testDatabase());
  const clock = options.clock ?? createClock(new Date());
  const app = await buildApp({ ...options, config: testConfig(options.env), db, now: clock.now });
  await app.ready();
  return { app, db, clock };
}

let counter = 0;
/** A unique owner with a personal API key. */
export async function createOwner(db: Database, overrides: { role?: 'owner' | 'admin'; timezone?: string } = {}) {
  const email = `owner${++counter}-${randomBytes(4).toString('hex')}@example.test`;
  const user: UserRow = await insertUser(db, {
    email,
    passwordHash: await hashPassword('correct horse battery'),
    timezone: overrides.timezone,
    role: overrides.role,
  });
  const key = issueApiKey();
  await insertApiKey(db, user.id, key.hash, key.prefix);
  return { user, apiKey: key.value, password: 'correct horse battery' };
}

export async function createBotFor(db: Database, ownerId: string, fields: Record<string, unknown> = {}): Promise<{ bot: BotRow; token: string }> {
  return createBotService({ db }).createBot(ownerId, { name: 'Test bot', ...fields });
}

export function heartbeatBody(overrides: Record<string, unknown> = {}) {
  return { site_url: 'https://shop.example.com', plugin_version: '1.1.0', wp_version: '6.1.1', is_active: true, ...overrides };
}

/** Sends a heartbeat the way the plugin does (JSON, X-Bot-Token) through app.inject. */
export function postHeartbeat(
  app: { inject: FastifyInstance['inject'] },
  token: string | undefined,
  body: unknown = heartbeatBody(),
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/api/bots/wordpress-heartbeat',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-bot-token': token } : {}), ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
