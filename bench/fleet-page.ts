// Measures the admin fleet page's queries at a million bots on PostgreSQL:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node --import tsx bench/fleet-page.ts [bots]
// Creates a scratch database, fills it with generate_series, times each query (median of 5), drops it.
import { performance } from 'node:perf_hooks';
import { openScratchDatabase } from './scratch-database.ts';
import { insertBotsWithActivity } from './seed-bots.ts';
import { migrate } from '../src/db/migrate.ts';
import { listFleetPage } from '../src/db/fleet.ts';
import { readFleetSummary } from '../src/db/fleet-summary.ts';
import { listOwnedBotsPage } from '../src/db/bot-changes.ts';

const base = process.env.DATABASE_URL;
if (!base) throw new Error('set DATABASE_URL to a PostgreSQL server');
const count = Number(process.argv[2] ?? 1_000_000);
const scratch = await openScratchDatabase(base);
const db = scratch.db;
try {
  await migrate(db);
  let started = performance.now();
  await db.query(`INSERT INTO users (email, password_hash) SELECT 'owner' || i || '@bench.test', 'x' FROM generate_series(1, $1) i`, [Math.ceil(count / 10)]);
  await insertBotsWithActivity(
    db,
    ['user_id', 'name', 'token_hash', 'token_prefix', 'widget_key', 'is_active', 'connection_status', 'wordpress_connected',
     'wordpress_site_url', 'wordpress_plugin_version', 'wordpress_wp_version'],
    `SELECT u.id AS user_id, 'bot ' || i AS name, md5(i::text) || md5((i * 7)::text) AS token_hash, 'bot_x' AS token_prefix,
            'pub_' || md5(i::text) AS widget_key, i % 50 <> 0 AS is_active, s.status AS connection_status, s.status = 'connected' AS wordpress_connected,
            CASE WHEN s.status <> 'never' THEN 'https://site' || i || '.example' END AS wordpress_site_url,
            CASE WHEN s.status <> 'never' THEN '1.' || (i % 12) || '.0' END AS wordpress_plugin_version,
            CASE WHEN s.status <> 'never' THEN '6.' || (i % 7) END AS wordpress_wp_version,
            CASE WHEN s.status <> 'never' THEN now() - (i % 86400) * interval '1 second' END AS last_activity
     FROM generate_series(1, $1) i
     JOIN LATERAL (SELECT (ARRAY['connected','connected','connected','connected','connected','connected','stale','deactivated','never'])[1 + i % 9] AS status) s ON true
     JOIN users u ON u.email = 'owner' || (1 + i % $2) || '@bench.test'`,
    [count, Math.ceil(count / 10)],
  );
  await db.query('VACUUM ANALYZE bots');
  await db.query('VACUUM ANALYZE users');
  console.log(`filled ${count} bots in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const owner = (await db.query<{ user_id: string }>('SELECT user_id FROM bots LIMIT 1')).rows[0]!.user_id;

  const time = async (label: string, fn: () => Promise<unknown>) => {
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      started = performance.now();
      await fn();
      runs.push(performance.now() - started);
    }
    runs.sort((a, b) => a - b);
    console.log(`${label.padEnd(48)} median ${runs[2]!.toFixed(1).padStart(7)} ms   max ${runs[4]!.toFixed(1).padStart(7)} ms`);
  };
  await time('summary (counts + version distributions, shared with /metrics)', () => readFleetSummary(db));
  await time('connections page 1, unfiltered', () => listFleetPage(db, { limit: 51, offset: 0 }));
  await time('connections page 1, status=stale', () => listFleetPage(db, { status: 'stale', limit: 51, offset: 0 }));
  await time('connections page 1, plugin=1.3.0', () => listFleetPage(db, { pluginVersion: '1.3.0', limit: 51, offset: 0 }));
  await time('connections page 1, search "site12345"', () => listFleetPage(db, { search: 'site12345', limit: 51, offset: 0 }));
  await time('connections page 100, unfiltered', () => listFleetPage(db, { limit: 51, offset: 99 * 50 }));
  await time("an owner's list page (10 bots)", () => listOwnedBotsPage(db, owner, { limit: 20, offset: 0 }));
} finally {
  await scratch.drop();
}
