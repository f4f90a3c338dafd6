// Upgrading a service whose owners already added email contacts (sql/150_contact_verification.sql):
// those contacts never confirmed, so they now wait for it like new ones, each with one confirmation
// mail queued; the account email and webhooks are untouched.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate, readMigrationFiles } from '../../src/db/migrate.ts';
import { freshDatabase } from '../helpers/database.ts';

const test = suite('migration 150: existing email contacts must confirm');

test('an existing contact becomes unverified with one confirmation mail queued; other channels are unchanged', async () => {
  const db = await freshDatabase();
  try {
    const files = readMigrationFiles();
    await migrate(db, files.filter((file) => file.name < '150'));
    const { rows: users } = await db.query<{ id: string }>("INSERT INTO users (email, password_hash) VALUES ('old@example.test', 'x') RETURNING id");
    const owner = users[0]!.id;
    await db.query(
      `INSERT INTO alert_channels (user_id, kind, name, target, secret) VALUES
       ($1, 'email', 'Old contact', 'old-contact@example.com', NULL), ($1, 'webhook', 'Old hook', 'https://hooks.example.com/x', 'whsec_x')`,
      [owner],
    );
    await migrate(db, files);
    const { rows: channels } = await db.query<{ kind: string; is_account: boolean; verified_at: Date | null }>(
      'SELECT kind, is_account, verified_at FROM alert_channels WHERE user_id = $1 ORDER BY is_account DESC, kind',
      [owner],
    );
    // nobody is marked confirmed by the upgrade (the account email and webhooks need no confirmation)
    assert.equal(channels.map((c) => [c.kind, c.is_account, c.verified_at]), [['email', true, null], ['email', false, null], ['webhook', false, null]]);
    const { rows: outbox } = await db.query<{ kind: string; status: string; payload: { address: string } }>(
      'SELECT o.kind, o.status, o.payload FROM alert_outbox o JOIN alert_channels c ON c.id = o.channel_id WHERE c.user_id = $1',
      [owner],
    );
    // one confirmation mail, to the contact's address, ready to go
    assert.equal(outbox, [{ kind: 'contact_verification', status: 'pending', payload: { address: 'old-contact@example.com' } }]);
    // and it counts against the hourly limit of that address
    const { rows: sends } = await db.query<{ count: number }>("SELECT count(*)::int AS count FROM channel_sends WHERE kind = 'verification' AND address = 'old-contact@example.com'");
    assert.is(sends[0]!.count, 1);
  } finally {
    await db.close();
  }
});

test.run();
