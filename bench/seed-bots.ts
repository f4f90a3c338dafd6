// Bots for a benchmark, inserted 500 at a time under one new owner; returns their tokens.
import { randomBytes } from 'node:crypto';
import { issueBotToken, issueWidgetKey } from '../src/accounts/credentials.ts';
import type { Database } from '../src/db/database.ts';

export async function seedBots(db: Database, count: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    "INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id",
    [`bench-${randomBytes(4).toString('hex')}@example.test`],
  );
  const owner = rows[0]!.id;
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 500) {
    const batch = Array.from({ length: Math.min(500, count - i) }, () => issueBotToken());
    tokens.push(...batch.map((t) => t.value));
    await db.query(
      `INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key)
       SELECT $1, 'bench', h, p, w FROM unnest($2::text[], $3::text[], $4::text[]) AS t(h, p, w)`,
      [owner, batch.map((t) => t.hash), batch.map((t) => t.prefix), batch.map(() => issueWidgetKey())],
    );
  }
  return tokens;
}

/**
 * Inserts the bots a SELECT yields and, for those with a last activity, their liveness rows
 * (sql/280_bot_liveness.sql): the SELECT names the given bots columns (token_hash and
 * connection_status among them) and one more, `last_activity`.
 */
export async function insertBotsWithActivity(db: Database, columns: readonly string[], select: string, params: unknown[]): Promise<void> {
  const list = columns.join(', ');
  await db.query(
    `WITH seeded AS MATERIALIZED (${select}),
     inserted AS (INSERT INTO bots (${list}) SELECT ${list} FROM seeded RETURNING id, token_hash, connection_status)
     INSERT INTO bot_liveness (bot_id, last_activity, connected)
     SELECT i.id, s.last_activity, i.connection_status = 'connected' FROM inserted i JOIN seeded s USING (token_hash)
     WHERE s.last_activity IS NOT NULL`,
    params,
  );
  // As autovacuum would leave it on a live fleet: hint bits set and statistics taken, so that the
  // first sweep or page measured is not the one that pays for a million fresh rows.
  await db.query('VACUUM ANALYZE bot_liveness');
}
