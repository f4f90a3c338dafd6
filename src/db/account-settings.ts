// Plain SQL for what an owner changes in their account settings.
import type { Queryable } from './database.ts';
import type { UserRow } from './users.ts';

export async function updateUserSettings(
  db: Queryable,
  userId: string,
  settings: { name: string | null; timezone: string; alertEmails: boolean },
  now: Date,
): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    'UPDATE users SET name = $2, timezone = $3, alert_emails = $4, updated_at = $5 WHERE id = $1 RETURNING *',
    [userId, settings.name, settings.timezone, settings.alertEmails, now],
  );
  return rows[0];
}

export async function updateUserPassword(db: Queryable, userId: string, passwordHash: string, now: Date): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1', [userId, passwordHash, now]);
}
