// Upgrading a fleet whose bots carried their last activity in `bots` (sql/280_bot_liveness.sql):
// every bot that ever reported keeps its last activity, now in its liveness row, with whether it is
// connected; a bot that never reported gets none; later status changes reach the copy.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findOwnedBot } from '../../src/db/bots.ts';
import { migrate, readMigrationFiles } from '../../src/db/migrate.ts';
import { freshDatabase } from '../helpers/database.ts';

const test = suite('migration 280: last activity moves to bot_liveness');

test('each bot keeps its last activity and connected flag, a never-seen bot gets no row, and a later status change follows', async () => {
  const db = await freshDatabase();
  try {
    const files = readMigrationFiles();
    await migrate(db, files.filter((file) => file.name < '280'));
    const { rows: users } = await db.query<{ id: string }>("INSERT INTO users (email, password_hash) VALUES ('old@example.test', 'x') RETURNING id");
    const owner = users[0]!.id;
    const seen = new Date('2026-11-30T08:15:00.123Z');
    const { rows: bots } = await db.query<{ id: string; name: string }>(
      `INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key, connection_status, wordpress_connected, wordpress_last_activity) VALUES
       ($1, 'live', 'h1', 'bot_1', 'pub_1', 'connected', true, $2),
       ($1, 'quiet', 'h2', 'bot_2', 'pub_2', 'stale', false, $2::timestamptz - interval '1 day'),
       ($1, 'new', 'h3', 'bot_3', 'pub_3', 'never', false, NULL)
       RETURNING id, name`,
      [owner, seen],
    );
    const id = (name: string) => bots.find((bot) => bot.name === name)!.id;
    await migrate(db, files);
    const { rows: liveness } = await db.query<{ bot_id: string; last_activity: Date; connected: boolean }>(
      'SELECT bot_id, last_activity, connected FROM bot_liveness ORDER BY last_activity DESC',
    );
    // the two bots that reported, with their times to the microsecond and whether they are connected
    assert.equal(liveness, [
      { bot_id: id('live'), last_activity: seen, connected: true },
      { bot_id: id('quiet'), last_activity: new Date(seen.getTime() - 86_400_000), connected: false },
    ]);
    // the bot as the API reads it still shows its last activity; the never-seen one none
    assert.equal((await findOwnedBot(db, owner, id('live')))?.wordpress_last_activity, seen);
    assert.is((await findOwnedBot(db, owner, id('new')))?.wordpress_last_activity, null);
    // a status change made anywhere (here by hand) reaches the copy the sweep scans
    await db.query("UPDATE bots SET connection_status = 'disconnected' WHERE id = $1", [id('live')]);
    const { rows: after } = await db.query<{ connected: boolean }>('SELECT connected FROM bot_liveness WHERE bot_id = $1', [id('live')]);
    assert.is(after[0]!.connected, false);
  } finally {
    await db.close();
  }
});

test.run();
