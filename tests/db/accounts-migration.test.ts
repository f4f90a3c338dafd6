// Upgrading a service filled before accounts existed (sql/200_accounts.sql): each user becomes the
// owner of an account with the same id, holding their bots, channels, schedules and keys, and
// nothing changes for them: the same key and session work, the same answers come back.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPassword, hashSecret, issueApiKey } from '../../src/accounts/credentials.ts';
import { migrate, readMigrationFiles } from '../../src/db/migrate.ts';
import { buildApp } from '../../src/app.ts';
import { SESSION_COOKIE } from '../../src/http/authenticate.ts';
import { freshDatabase } from '../helpers/database.ts';
import { testConfig } from '../helpers/app.ts';

const test = suite('migration 200: every user becomes the owner of an account');

test('a database filled the old way: accounts with the same ids, owners, the owned rows re-pointed, old keys and sessions still work', async () => {
  const db = await freshDatabase();
  try {
    const files = readMigrationFiles();
    await migrate(db, files.filter((file) => file.name < '200'));
    // the old way: users own bots, channels, schedules, keys and sessions directly
    const key = issueApiKey();
    const users: string[] = [];
    for (const [email, name] of [['ann@example.com', 'Ann'], ['bob@example.com', null]] as const) {
      const { rows } = await db.query<{ id: string }>('INSERT INTO users (email, password_hash, name) VALUES ($1, $2, $3) RETURNING id', [
        email,
        await hashPassword('correct horse battery'),
        name,
      ]);
      users.push(rows[0]!.id);
    }
    const [ann, bob] = users as [string, string];
    await db.query("INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key) VALUES ($1, 'Ann shop', 'h1', 'bot_1', 'pub_aaaaaaaaaaaa')", [ann]);
    await db.query("INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key) VALUES ($1, 'Bob blog', 'h2', 'bot_2', 'pub_bbbbbbbbbbbb')", [bob]);
    await db.query("INSERT INTO alert_channels (user_id, kind, name, target, secret) VALUES ($1, 'webhook', 'Hook', 'https://hooks.example.com/a', 'whsec_a')", [ann]);
    await db.query('INSERT INTO maintenance_schedules (user_id, weekday, start_minute, duration_minutes, created_at) VALUES ($1, 1, 60, 30, now())', [ann]);
    await db.query('INSERT INTO api_keys (user_id, key_hash, key_prefix) VALUES ($1, $2, $3)', [ann, key.hash, key.prefix]);
    const sessionToken = 'a-session-token-of-the-old-kind-0123456789';
    const at = new Date();
    await db.query('INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)', [
      hashSecret(sessionToken),
      ann,
      at,
      new Date(at.getTime() + 86_400_000),
    ]);

    await migrate(db, files);

    // one account per user, with the user's id and name (else address), the user its owner, told of alerts
    const accounts = await db.query<{ id: string; name: string; role: string; notify: boolean; user_id: string }>(
      'SELECT a.id, a.name, m.role, m.notify, m.user_id FROM accounts a JOIN account_members m ON m.account_id = a.id ORDER BY a.name',
    );
    assert.equal(accounts.rows, [
      { id: ann, name: 'Ann', role: 'owner', notify: true, user_id: ann },
      { id: bob, name: 'bob@example.com', role: 'owner', notify: true, user_id: bob },
    ]);
    // the owned tables now point at accounts
    const fks = await db.query<{ table: string; target: string }>(
      `SELECT conrelid::regclass::text AS table, confrelid::regclass::text AS target FROM pg_constraint
       WHERE contype = 'f' AND conparentid = 0 -- a partitioned table's own key, not its partitions' copies
         AND conname IN ('bots_user_id_fkey', 'alert_channels_user_id_fkey', 'maintenance_schedules_user_id_fkey', 'channel_sends_user_id_fkey', 'alert_outbox_user_id_fkey')
       ORDER BY 1`,
    );
    assert.ok(fks.rows.length === 5 && fks.rows.every((row) => row.target === 'accounts'), JSON.stringify(fks.rows));
    // the key and the session belong to Ann's account, the key as owner
    assert.equal((await db.query('SELECT account_id, role FROM api_keys')).rows, [{ account_id: ann, role: 'owner' }]);
    assert.equal((await db.query('SELECT account_id FROM sessions')).rows, [{ account_id: ann }]);
    // each account keeps its one account email channel
    assert.is((await db.query('SELECT 1 FROM alert_channels WHERE is_account')).rowCount, 2);

    // and the service answers as before: the old key lists Ann's bots, the old session shows her pages
    const app = await buildApp({ config: testConfig(), db });
    try {
      const bots = await app.inject({ method: 'GET', url: '/api/bots', headers: { authorization: `Bearer ${key.value}` } });
      assert.is(bots.statusCode, 200);
      assert.equal(bots.json().bots.map((b: { name: string }) => b.name), ['Ann shop']);
      const page = await app.inject({ method: 'GET', url: '/bots', cookies: { [SESSION_COOKIE]: sessionToken }, headers: { accept: 'text/html' } });
      assert.is(page.statusCode, 200);
      assert.match(page.body, /Ann shop/);
      assert.not.match(page.body, /Bob blog/);
      // a user created after the upgrade gets an account of their own too
      const { rows } = await db.query<{ id: string }>("INSERT INTO users (email, password_hash) VALUES ('new@example.com', 'x') RETURNING id");
      assert.equal((await db.query('SELECT role FROM account_members WHERE account_id = $1 AND user_id = $1', [rows[0]!.id])).rows, [{ role: 'owner' }]);
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
  }
});

test.run();
