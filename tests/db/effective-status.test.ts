import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { effectiveStatusIs, effectiveStatusSql, type BotRow } from '../../src/db/bots.ts';
import type { Database } from '../../src/db/database.ts';
import { CONNECTION_STATUSES, effectiveStatus, type StoredStatus } from '../../src/domain/connection-status.ts';
import { createBotFor, createOwner } from '../helpers/app.ts';
import { testDatabase } from '../helpers/database.ts';

const test = suite<{ db: Database }>('effective status: one rule in the domain and in SQL');

test.before(async (ctx) => {
  ctx.db = await testDatabase();
});

const STORED: StoredStatus[] = ['never', 'connected', 'stale', 'deactivated', 'disconnected'];

test('the SQL fragment and the WHERE form give every bot the status the domain gives it', async ({ db }) => {
  const { user } = await createOwner(db);
  const bots: BotRow[] = [];
  for (const stored of STORED) {
    for (const active of [true, false]) {
      const { bot } = await createBotFor(db, user.id);
      await db.query('UPDATE bots SET connection_status = $2, is_active = $3 WHERE id = $1', [bot.id, stored, active]);
      bots.push({ ...bot, connection_status: stored, is_active: active });
    }
  }
  const ids = bots.map((bot) => bot.id);
  const { rows } = await db.query<{ id: string; status: string }>(`SELECT id, ${effectiveStatusSql()} AS status FROM bots WHERE id = ANY($1::uuid[])`, [ids]);
  for (const bot of bots) {
    // the fragment agrees with the domain for this (stored status, active) pair
    assert.is(rows.find((row) => row.id === bot.id)?.status, effectiveStatus(bot), `${bot.connection_status}, active ${bot.is_active}`);
  }
  for (const status of CONNECTION_STATUSES) {
    const { rows: matched } = await db.query<{ id: string }>(`SELECT id FROM bots WHERE id = ANY($1::uuid[]) AND ${effectiveStatusIs(status)}`, [ids]);
    // the condition selects exactly the bots the domain puts in this status
    assert.equal(matched.map((row) => row.id).sort(), bots.filter((bot) => effectiveStatus(bot) === status).map((bot) => bot.id).sort(), status);
  }
});

test.run();
