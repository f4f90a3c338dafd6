import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hashSecret } from '../../src/accounts/credentials.ts';
import { recordHeartbeats } from '../../src/db/bots.ts';
import type { Database } from '../../src/db/database.ts';
import { listFleetPage } from '../../src/db/fleet.ts';
import { readFleetSummary } from '../../src/db/fleet-summary.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createBotFor, createOwner } from '../helpers/app.ts';
import { freshDatabase } from '../helpers/database.ts';

// The fleet counts and the search copy are kept by triggers (sql/091, sql/092): whatever changes
// bots, by whatever statement, they must agree with the bots rows themselves. This suite owns an
// empty database, since both describe the whole fleet.
const test = suite<{ db: Database; ownerId: string }>('fleet counts and bot search kept by the database');

test.before(async (ctx) => {
  ctx.db = await freshDatabase();
  await migrate(ctx.db);
  ctx.ownerId = (await createOwner(ctx.db)).user.id;
});
test.after(async (ctx) => {
  await ctx.db.close();
});

/** The same grouping computed straight from the bots rows: what the kept counts must equal. */
async function groupedFromBots(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ key: string }>(
    `SELECT connection_status || '/' || is_active || '/' || coalesce(wordpress_plugin_version, '-') || '/' || coalesce(wordpress_wp_version, '-') || '=' || count(*) AS key
     FROM bots GROUP BY connection_status, is_active, wordpress_plugin_version, wordpress_wp_version ORDER BY 1`,
  );
  return rows.map((row) => row.key);
}

async function groupedFromCounts(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ key: string }>(
    `SELECT connection_status || '/' || is_active || '/' || coalesce(nullif(plugin_version, ''), '-') || '/' || coalesce(nullif(wp_version, ''), '-') || '=' || sum(n) AS key
     FROM (SELECT connection_status, is_active, plugin_version, wp_version, n FROM fleet_counts
           UNION ALL SELECT connection_status, is_active, plugin_version, wp_version, delta FROM fleet_count_changes) c
     GROUP BY connection_status, is_active, plugin_version, wp_version HAVING sum(n) <> 0 ORDER BY 1`,
  );
  return rows.map((row) => row.key);
}

const heartbeat = (token: string, fields: { plugin?: string; status?: 'connected' | 'deactivated'; site?: string } = {}) => ({
  tokenHash: hashSecret(token),
  siteUrl: fields.site ?? 'https://shop.example.com',
  pluginVersion: fields.plugin ?? '1.1.0',
  wpVersion: '6.4',
  status: fields.status ?? 'connected',
  reason: 'heartbeat',
  at: new Date('2026-11-25T12:00:00Z'),
});

test('the kept counts equal a GROUP BY over bots through inserts, heartbeats, flips, disabling and deletes', async ({ db, ownerId }) => {
  const tokens = [];
  for (const name of ['Alpha', 'Beta', 'Gamma', 'Delta']) tokens.push((await createBotFor(db, ownerId, { name })).token);
  // four bots that never reported
  assert.equal(await groupedFromCounts(db), await groupedFromBots(db));
  await recordHeartbeats(db, [heartbeat(tokens[0]!), heartbeat(tokens[1]!, { plugin: '1.2.0' }), heartbeat(tokens[2]!, { status: 'deactivated' })]);
  // three reported, in three different groups
  assert.equal(await groupedFromCounts(db), await groupedFromBots(db));
  await recordHeartbeats(db, [heartbeat(tokens[0]!)]);
  // a second identical heartbeat moves no bot between groups, so it writes no change
  const { rows: pending } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM fleet_count_changes');
  await readFleetSummary(db); // folds
  await recordHeartbeats(db, [heartbeat(tokens[0]!)]);
  const { rows: after } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM fleet_count_changes');
  assert.ok(pending[0]!.n > 0);
  assert.is(after[0]!.n, 0);
  await db.query("UPDATE bots SET connection_status = 'stale' WHERE name = 'Alpha'");
  await db.query("UPDATE bots SET is_active = false WHERE name = 'Beta'");
  await db.query("DELETE FROM bots WHERE name = 'Delta'");
  // a flip, a disabled bot and a deleted one
  assert.equal(await groupedFromCounts(db), await groupedFromBots(db));
  const summary = await readFleetSummary(db);
  // the summary read through the counts tells the same story
  assert.equal(summary.connections, { never: 0, connected: 0, stale: 1, deactivated: 1, disconnected: 0, disabled: 1 });
  assert.equal(summary.reportedPluginVersions, [
    { version: '1.1.0', count: 2 },
    { version: '1.2.0', count: 1 },
  ]);
  assert.equal(await groupedFromCounts(db), await groupedFromBots(db));
});

test('fleet search finds a bot by its new name and by the site URL it reports from', async ({ db, ownerId }) => {
  const { bot, token } = await createBotFor(db, ownerId, { name: 'Helpdesk' });
  await db.query("UPDATE bots SET name = 'Concierge' WHERE id = $1", [bot.id]);
  await recordHeartbeats(db, [heartbeat(token, { site: 'https://florist.example.org' })]);
  const byName = await listFleetPage(db, { search: 'concier', limit: 10, offset: 0 });
  const byOldName = await listFleetPage(db, { search: 'helpdesk', limit: 10, offset: 0 });
  const bySite = await listFleetPage(db, { search: 'florist', limit: 10, offset: 0 });
  // found by what it is called now, not by what it was called
  assert.equal(byName.map((row) => row.id), [bot.id]);
  assert.equal(byOldName, []);
  // found by the site URL its heartbeat reported
  assert.equal(bySite.map((row) => row.id), [bot.id]);
});

test.run();
