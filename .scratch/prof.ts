import { createSweep } from '../src/alerts/sweep.ts';
import { migrate } from '../src/db/migrate.ts';
import { openScratchDatabase } from '../bench/scratch-database.ts';
const bots = Number(process.env.N ?? 50000);
const scratch = await openScratchDatabase(process.env.DATABASE_URL!);
const db = scratch.db;
try {
  await migrate(db);
  const now = new Date();
  const owners = bots / 10;
  await db.query(`INSERT INTO users (email, password_hash) SELECT 'o' || i || '@b.test', 'x' FROM generate_series(1, $1) i`, [owners]);
  await db.query(`INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key, connection_status, wordpress_connected, wordpress_site_url, wordpress_plugin_version, wordpress_wp_version, wordpress_last_activity, status_changed_at)
     SELECT u.id, 'Storm bot ' || i, md5(i::text), 'bot_x', 'pub_' || md5(i::text), 'connected', true, 'https://s' || i || '.example.com', '1.1.0', '6.1.1',
       CASE WHEN i <= $2 THEN $3::timestamptz - interval '20 minutes' ELSE $3::timestamptz - random() * interval '4 minutes' END, $3::timestamptz - interval '1 day'
     FROM generate_series(1, $1) i JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users) u ON u.n = (i - 1) % $4`, [bots, bots / 2, now, owners]);
  await db.exec('VACUUM ANALYZE bots');
  const stats = new Map<string, number>();
  const orig = db.session.bind(db);
  (db as any).session = (fn: any) => orig((session: any) => {
    const wrapQ = (q: any) => async (text: string, params?: any, o?: any) => { const s0 = performance.now(); try { return await q(text, params, o); } finally { const k = text.replace(/\s+/g, ' ').slice(0, 90); stats.set(k, (stats.get(k) ?? 0) + performance.now() - s0); } };
    const tx0 = session.transaction;
    return fn({ ...session, query: wrapQ(session.query), transaction: (inner: any) => tx0((tx: any) => inner({ ...tx, query: wrapQ(tx.query) })) });
  });
  let t = performance.now();
  const times: number[] = [];
  const sweep = createSweep({ db, staleAfterMs: 600000, alertRepeatMs: 86400000, stormFraction: 0.4, stormMin: 20, flipBatch: Number(process.env.B ?? 1000),
    onBatch: () => { const n = performance.now(); times.push(n - t); t = n; } });
  const started = performance.now();
  const r = await sweep.run(now);
  console.log('total', (performance.now() - started).toFixed(0), 'flipped', r.flipped, 'batches', r.flipBatches);
  console.log('first (incl decide)', times[0]?.toFixed(0), 'batch ms: median', times.slice(1).sort((a,b)=>a-b)[Math.floor(times.length/2)]?.toFixed(0), 'max', Math.max(...times.slice(1)).toFixed(0));
  for (const [k, v] of [...stats].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(v.toFixed(0).padStart(6), k);
  if (process.env.EXPLAIN) {
    const { rows } = await db.query<{id: string; la: Date}>(`SELECT id, date_trunc('milliseconds', wordpress_last_activity) AS la FROM bots WHERE connection_status='connected' ORDER BY wordpress_last_activity LIMIT 1000`);
  }
} finally { await scratch.drop(); }
