// Plain SQL for the single-use record of signed mute links (src/mail/signed-links.ts).
import type { Queryable } from './database.ts';

/** Records a single-use link as used; false when it had been used before. */
export async function claimLinkUse(tx: Queryable, tokenHash: string, now: Date, expiresAt: Date): Promise<boolean> {
  await tx.query('DELETE FROM alert_link_uses WHERE expires_at < $1', [now]);
  const { rows } = await tx.query(
    'INSERT INTO alert_link_uses (token_hash, used_at, expires_at) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING RETURNING token_hash',
    [tokenHash, now, expiresAt],
  );
  return rows.length > 0;
}
