import { openPgDatabase } from '../src/db/pg-driver.ts';
import { migrate } from '../src/db/migrate.ts';
import { recordHeartbeats } from '../src/db/bots.ts';
import { issueBotToken, issueWidgetKey } from '../src/accounts/credentials.ts';
import pg from 'pg';
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect(); await admin.query('DROP DATABASE IF EXISTS flushbench'); await admin.query('CREATE DATABASE flushbench'); await admin.end();
const db = openPgDatabase({ connectionString: 'postgres://postgres@127.0.0.1:5432/flushbench' });
await migrate(db);
const { rows } = await db.query<{ id: string }>("INSERT INTO users (email, password_hash) VALUES ('b@x.y','x') RETURNING id");
const toks = Array.from({ length: 2000 }, () => issueBotToken());
await db.query(`INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key) SELECT $1, 'b', h, p, w FROM unnest($2::text[], $3::text[], $4::text[]) t(h,p,w)`, [rows[0]!.id, toks.map(t=>t.hash), toks.map(t=>t.prefix), toks.map(()=>issueWidgetKey())]);
for (const size of [1, 50, 500]) {
  const t = Date.now(); let n = 0;
  for (let r = 0; r < 20; r++) {
    const batch = toks.slice((r * size) % 1500, (r * size) % 1500 + size).map(t => ({ tokenHash: t.hash, siteUrl: 'https://x', pluginVersion: '1', wpVersion: '6', status: 'connected' as const, reason: 'heartbeat', at: new Date() }));
    await recordHeartbeats(db, batch); n += batch.length;
  }
  const ms = Date.now() - t;
  console.log(`batch ${size}: ${(ms/20).toFixed(1)} ms per flush, ${(n / ms * 1000).toFixed(0)} rows/s`);
}
const t2 = Date.now(); for (let i=0;i<200;i++) await db.query('UPDATE bots SET updated_at = now() WHERE token_hash = $1', [toks[i]!.hash]); console.log('single update', ((Date.now()-t2)/200).toFixed(2), 'ms');
const t3 = Date.now(); for (let i=0;i<200;i++) await db.query('SELECT 1'); console.log('select 1', ((Date.now()-t3)/200).toFixed(2), 'ms');
await db.close();
