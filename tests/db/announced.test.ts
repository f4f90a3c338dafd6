import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mayNotifySql } from '../../src/db/bots.ts';
import type { Database } from '../../src/db/database.ts';
import { staleAlertAnnouncedSql } from '../../src/db/outbox.ts';
import { ANNOUNCED_LEVELS, mayNotify, staleAlertAnnounced } from '../../src/domain/alert-rules.ts';
import { createBotFor, createOwner } from '../helpers/app.ts';
import { testDatabase } from '../helpers/database.ts';

const test = suite<{ db: Database }>('announced and notifiable: each one rule in the domain and in SQL');

test.before(async (ctx) => {
  ctx.db = await testDatabase();
});

const NOW = new Date('2026-06-01T12:00:00Z');
const BEFORE = new Date(NOW.getTime() - 60_000);
const AFTER = new Date(NOW.getTime() + 60_000);

test('a stale alert counts as announced at each level exactly when the domain says so', async ({ db }) => {
  const { user } = await createOwner(db);
  const cases: Array<{ id: number; status: string; attempts: number; nextAttemptAt: Date }> = [];
  for (const status of ['held', 'pending', 'sending', 'sent', 'failed', 'dropped']) {
    for (const attempts of [0, 2]) {
      for (const nextAttemptAt of [BEFORE, NOW, AFTER]) {
        const { rows } = await db.query<{ id: number }>(
          `INSERT INTO alert_outbox (dedupe_key, kind, user_id, payload, status, attempts, next_attempt_at, created_at)
           VALUES (gen_random_uuid()::text, 'stale', $1, '{}', $2, $3, $4, $5) RETURNING id`,
          [user.id, status, attempts, nextAttemptAt, BEFORE],
        );
        cases.push({ id: Number(rows[0]!.id), status, attempts, nextAttemptAt });
      }
    }
  }
  const ids = cases.map((c) => c.id);
  for (const level of ANNOUNCED_LEVELS) {
    const { rows } = await db.query<{ id: string }>(`SELECT o.id FROM alert_outbox o WHERE o.id = ANY($1::bigint[]) AND ${staleAlertAnnouncedSql('o', level, '$2')}`, level === 'due' ? [ids, NOW] : [ids]);
    const matched = new Set(rows.map((row) => Number(row.id)));
    for (const row of cases) {
      // the fragment agrees with the domain for this (status, attempts, due) row at this level
      assert.is(matched.has(row.id), staleAlertAnnounced(row, level, NOW), `${level}: ${row.status}, ${row.attempts} attempts, due ${row.nextAttemptAt.toISOString()}`);
    }
  }
});

test('the levels nest: delivered within due within queued', () => {
  for (const status of ['held', 'pending', 'sending', 'sent', 'failed', 'dropped']) {
    for (const attempts of [0, 1]) {
      for (const nextAttemptAt of [BEFORE, AFTER]) {
        const row = { status, attempts, nextAttemptAt };
        if (staleAlertAnnounced(row, 'delivered', NOW)) assert.ok(staleAlertAnnounced(row, 'due', NOW), `${status} delivered ⇒ due`);
        if (staleAlertAnnounced(row, 'due', NOW)) assert.ok(staleAlertAnnounced(row, 'queued', NOW), `${status} due ⇒ queued`);
      }
    }
  }
});

test('"may we notify" in SQL picks exactly the bots the domain may notify', async ({ db }) => {
  const cases: Array<{ botId: string; botActive: boolean; mutedUntil: Date | null; ownerAlertEmails: boolean }> = [];
  for (const ownerAlertEmails of [true, false]) {
    const { user } = await createOwner(db);
    await db.query('UPDATE users SET alert_emails = $2 WHERE id = $1', [user.id, ownerAlertEmails]);
    for (const botActive of [true, false]) {
      for (const mutedUntil of [null, BEFORE, NOW, AFTER]) {
        const { bot } = await createBotFor(db, user.id);
        await db.query('UPDATE bots SET is_active = $2, muted_until = $3 WHERE id = $1', [bot.id, botActive, mutedUntil]);
        cases.push({ botId: bot.id, botActive, mutedUntil, ownerAlertEmails });
      }
    }
  }
  const { rows } = await db.query<{ id: string }>(
    `SELECT b.id FROM bots b JOIN users u ON u.id = b.user_id WHERE b.id = ANY($1::uuid[]) AND ${mayNotifySql('b', 'u', '$2')}`,
    [cases.map((c) => c.botId), NOW],
  );
  const matched = new Set(rows.map((row) => row.id));
  for (const c of cases) {
    // the fragment agrees with mayNotify for this (active, muted until, owner subscribed) bot
    assert.is(matched.has(c.botId), mayNotify(c, NOW), `active ${c.botActive}, muted until ${c.mutedUntil?.toISOString() ?? 'never'}, alert emails ${c.ownerAlertEmails}`);
  }
});

test.run();
