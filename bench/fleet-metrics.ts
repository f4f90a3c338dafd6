// Benchmark: the fleet gauges' summary query and a full /metrics scrape at a million bots, on
// PostgreSQL. Figures are printed relative to baselines measured in the same run (a bare
// `SELECT count(*) FROM bots`, the cheapest pass over the table, and the simplest GROUP BY over
// it), since absolute numbers vary between machines and runs.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node --import tsx bench/fleet-metrics.ts [bots]
//
// Creates its own database on that server and drops it at the end.
import { performance } from 'node:perf_hooks';
import client from 'prom-client';
import { migrate } from '../src/db/migrate.ts';
import { openScratchDatabase } from './scratch-database.ts';
import { insertBotsWithActivity } from './seed-bots.ts';
import { readFleetSummary } from '../src/db/fleet-summary.ts';
import { registerFleetMetrics } from '../src/observability/fleet-metrics.ts';
import { createMetrics } from '../src/metrics.ts';

const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) {
  console.error('Set DATABASE_URL to a PostgreSQL server (a database is created and dropped there).');
  process.exit(2);
}
const botCount = Number(process.argv[2] ?? 1_000_000);
const runs = 7;
const scratch = await openScratchDatabase(baseUrl);
const db = scratch.db;

async function median(label: string, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm the cache and the plan
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const m = times[Math.floor(times.length / 2)]!;
  console.log(`${label.padEnd(44)} median ${m.toFixed(1).padStart(8)} ms   (min ${times[0]!.toFixed(1)}, max ${times.at(-1)!.toFixed(1)})`);
  return m;
}

try {
  await migrate(db);
  const now = new Date();
  let start = performance.now();
  await db.exec(`INSERT INTO users (email, password_hash) SELECT 'bench' || i || '@example.test', 'x' FROM generate_series(1, 1000) i`);
  // A realistic mix: mostly connected (some overdue), a few never/deactivated/disabled; 40 plugin
  // versions with a long tail and 25 WordPress versions.
  await insertBotsWithActivity(
    db,
    ['user_id', 'name', 'token_hash', 'token_prefix', 'widget_key', 'is_active', 'connection_status', 'wordpress_connected',
     'wordpress_site_url', 'wordpress_plugin_version', 'wordpress_wp_version', 'stale_grace_seconds'],
    `SELECT u.id AS user_id, 'bot ' || i AS name, md5('t' || i) AS token_hash, 'bot_x' AS token_prefix, 'pub_' || md5('w' || i) AS widget_key,
            (i % 50) <> 0 AS is_active, s.status AS connection_status, s.status = 'connected' AS wordpress_connected,
            CASE WHEN s.status <> 'never' THEN 'https://site' || i || '.example.com' END AS wordpress_site_url,
            CASE WHEN s.status <> 'never' THEN '1.' || (floor(40 * power(random(), 3)))::int || '.0' END AS wordpress_plugin_version,
            CASE WHEN s.status <> 'never' THEN '6.' || (floor(25 * power(random(), 2)))::int END AS wordpress_wp_version,
            CASE WHEN s.status <> 'never' THEN $1::timestamptz - (random() * interval '15 minutes') END AS last_activity,
            CASE WHEN i % 10 = 0 THEN 300 ELSE 0 END AS stale_grace_seconds
     FROM generate_series(1, $2::int) i
     JOIN LATERAL (SELECT CASE WHEN i % 20 = 1 THEN 'never' WHEN i % 20 = 2 THEN 'deactivated' WHEN i % 20 = 3 THEN 'stale' ELSE 'connected' END AS status) s ON true
     JOIN users u ON u.email = 'bench' || (i % 1000 + 1) || '@example.test'`,
    [now, botCount],
  );
  await db.exec('VACUUM ANALYZE bots');
  const { rows: size } = await db.query<{ size: string }>(`SELECT pg_size_pretty(pg_total_relation_size('bots')) AS size`);
  console.log(`${botCount} bots generated in ${((performance.now() - start) / 1000).toFixed(1)} s (bots table with indexes: ${size[0]!.size})\n`);

  const baseline = await median('baseline: SELECT count(*) FROM bots', () => db.query('SELECT count(*) FROM bots'));
  const groupBy = await median('baseline: GROUP BY connection_status', () =>
    db.query('SELECT connection_status, count(*) FROM bots GROUP BY 1'),
  );
  const summary = await median('fleet summary query (one statement)', () =>
    readFleetSummary(db, { topVersions: 10 }),
  );

  const cold = new client.Registry();
  registerFleetMetrics(cold, { db, now: () => now, cacheMs: 0, serveStaleMs: 0 });
  const coldScrape = await median('scrape of the fleet gauges, cache miss', () => cold.metrics());

  const metrics = createMetrics();
  registerFleetMetrics(metrics.registry, { db, now: () => new Date() });
  const warmScrape = await median('full /metrics registry, cache hit', () => metrics.registry.metrics());

  // Steady state past the cache time: every scrape answers from the last summary while a refresh runs.
  const busy = createMetrics();
  registerFleetMetrics(busy.registry, { db, now: () => new Date(), cacheMs: 0, serveStaleMs: 60_000 });
  await busy.registry.metrics();
  const busyScrape = await median('full /metrics registry, refresh running', () => busy.registry.metrics());

  const { rows: plan } = await db.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM bots`,
  );
  console.log(`\nbaseline plan: ${plan.map((r) => r['QUERY PLAN'].trim()).slice(0, 3).join(' | ')}`);

  const check = await readFleetSummary(db, { topVersions: 10 });
  console.log(`connections: ${JSON.stringify(check.connections)}; plugin series: ${check.connectedPluginVersions.length}; wp series: ${check.connectedWpVersions.length}`);

  console.log(`\nsummary query / count(*) baseline:   ${(summary / baseline).toFixed(2)}x`);
  console.log(`summary query / GROUP BY baseline:   ${(summary / groupBy).toFixed(2)}x`);
  console.log(`cold scrape / GROUP BY baseline:     ${(coldScrape / groupBy).toFixed(2)}x`);
  console.log(`warm scrape / GROUP BY baseline:     ${(warmScrape / groupBy).toFixed(3)}x`);
  console.log(`busy scrape / GROUP BY baseline:     ${(busyScrape / groupBy).toFixed(3)}x`);
  console.log(`at ${botCount} bots: summary query ${summary.toFixed(0)} ms, cold scrape ${coldScrape.toFixed(0)} ms, ` +
    `warm scrape ${warmScrape.toFixed(1)} ms, scrape during a refresh ${busyScrape.toFixed(1)} ms`);
} finally {
  await scratch.drop();
}
