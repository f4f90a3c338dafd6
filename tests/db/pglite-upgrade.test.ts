// Upgrading a DATA_DIR from an earlier version's PGlite database: copied once into the embedded
// PostgreSQL at the first start, and never merged into one that already has users.
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate, readMigrationFiles } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { createOwner } from '../helpers/app.ts';
import { postmasterPid, withDataDir } from './embedded-data-dir.ts';
const upgrade = suite<{ dataDir: string }>('upgrade from an earlier PGlite DATA_DIR');
withDataDir(upgrade, 'agentdesk-pglite-upgrade-');

/** Writes DATA_DIR/pglite as the earlier version left it: all but the newest migration applied, and rows. */
async function writePgliteDataDir(dataDir: string) {
  const { PGlite } = await import('@electric-sql/pglite');
  const files = readMigrationFiles();
  const older = files.slice(0, -1);
  const pglite = await PGlite.create(path.join(dataDir, 'pglite'));
  try {
    await pglite.exec('CREATE TABLE schema_migrations (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const file of older) {
      await pglite.exec(file.sql);
      await pglite.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [file.name, file.checksum]);
    }
    const user = await pglite.query<{ id: string }>("INSERT INTO users (email, password_hash) VALUES ('old@example.com', 'x') RETURNING id");
    const bot = await pglite.query<{ id: string }>(
      "INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key) VALUES ($1, 'Old bot', 'hash-1', 'bot_old', 'pub_old') RETURNING id",
      [user.rows[0]!.id],
    );
    for (let i = 0; i < 3; i++) {
      await pglite.query("INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason, details) VALUES ($1, now(), 'status', 'never', 'connected', 'heartbeat', '{\"n\": 1}')", [bot.rows[0]!.id]);
    }
    await pglite.query("INSERT INTO service_state (key, value) VALUES ('server_secret', 'kept-secret')");
  } finally {
    await pglite.close();
  }
  return { older, newest: files.at(-1)! };
}

upgrade('the first start copies the PGlite data into the embedded PostgreSQL once and keeps the old directory', async ({ dataDir }) => {
  const { newest } = await writePgliteDataDir(dataDir);
  const notes: string[] = [];
  const config = { databaseUrl: undefined, databasePoolSize: 2, dataDir };
  let db = await openDatabase(config, { log: (note) => notes.push(note) });
  try {
    const applied = await migrate(db);
    const { rows: bots } = await db.query<{ name: string; email: string }>('SELECT b.name, u.email FROM bots b JOIN users u ON u.id = b.user_id');
    const { rows: events } = await db.query<{ n: number; max: number }>('SELECT count(*) AS n, max(id) AS max FROM connection_events');
    const { rows: next } = await db.query<{ id: number }>(
      "INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason) SELECT id, now(), 'status', 'connected', 'stale', 'sweep' FROM bots RETURNING id",
    );
    const { rows: secret } = await db.query<{ value: string }>("SELECT value FROM service_state WHERE key = 'server_secret'");
    // the rows came over, with their relations
    assert.equal(bots, [{ name: 'Old bot', email: 'old@example.com' }]);
    assert.is(events[0]?.n, 3);
    // sequences continue after the copied ids, and the signing secret is the old one
    assert.is(next[0]?.id, events[0]!.max + 1);
    assert.is(secret[0]?.value, 'kept-secret');
    // the newer migration was applied on top of the PGlite schema
    assert.equal(applied, [newest.name]);
    // the PGlite directory is kept under a new name, and the log says what happened
    assert.not.ok(fs.existsSync(path.join(dataDir, 'pglite')));
    assert.ok(fs.existsSync(path.join(dataDir, 'pglite.migrated', 'PG_VERSION')));
    assert.ok(notes.some((note) => /upgraded from PGlite: \d+ rows/.test(note)), notes.join('\n'));
  } finally {
    await db.close();
  }

  // A second start does not copy again.
  notes.length = 0;
  db = await openDatabase(config, { log: (note) => notes.push(note) });
  try {
    const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM bots');
    assert.is(rows[0]?.n, 1);
    assert.not.ok(notes.some((note) => /PGlite/.test(note)));
  } finally {
    await db.close();
  }
});

upgrade('refuses to merge a PGlite directory into an embedded PostgreSQL that already has users', async ({ dataDir }) => {
  const config = { databaseUrl: undefined, databasePoolSize: 2, dataDir };
  const db = await openDatabase(config);
  await migrate(db);
  await createOwner(db);
  await db.close();
  await writePgliteDataDir(dataDir);
  const error = await openDatabase(config).catch((e: Error) => e);
  // a clear refusal naming both directories; nothing is left running
  assert.instance(error, Error);
  assert.match((error as Error).message, /will not merge them/);
  assert.match((error as Error).message, path.join(dataDir, 'pglite'));
  assert.is(postmasterPid(dataDir), undefined);
  assert.ok(fs.existsSync(path.join(dataDir, 'pglite', 'PG_VERSION')));
});

upgrade.run();
