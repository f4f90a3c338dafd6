import { openPgDatabase } from '../src/db/pg-driver.ts';
const db = openPgDatabase({ connectionString: 'postgres://postgres@127.0.0.1:5432/flushbench' });
const { rows } = await db.query<{ token_hash: string }>('SELECT token_hash FROM bots LIMIT 500');
const hs = rows.map(r => r.token_hash);
const n = hs.length;
const plan = await db.query<any>(`EXPLAIN (ANALYZE, BUFFERS, TIMING) WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
         AS i(token_hash, site_url, plugin_version, wp_version, status, reason, at)
     ), bot AS (
       SELECT b.id, b.is_active, b.connection_status, b.wordpress_site_url, i.*
       FROM bots b JOIN input i ON i.token_hash = b.token_hash
       ORDER BY b.id
       FOR UPDATE OF b
     ), updated AS (
       UPDATE bots b SET
         wordpress_site_url = bot.site_url,
         wordpress_last_activity = bot.at,
         connection_status = bot.status,
         wordpress_connected = (bot.status = 'connected')
       FROM bot WHERE b.id = bot.id AND bot.is_active
       RETURNING b.id
     ), hourly AS (
       INSERT INTO heartbeat_hours (bot_id, hour, count)
       SELECT bot.id, date_trunc('hour', bot.at, 'UTC'), 1 FROM bot JOIN updated ON updated.id = bot.id
       ON CONFLICT (bot_id, hour) DO UPDATE SET count = heartbeat_hours.count + 1
     )
     SELECT token_hash, id FROM bot`, [hs, hs.map(()=>'https://x'), hs.map(()=>'1'), hs.map(()=>'6'), hs.map(()=>'connected'), hs.map(()=>'heartbeat'), hs.map(()=>new Date())]);
console.log(plan.rows.map((r: any) => r['QUERY PLAN']).join('\n'));
await db.close();
