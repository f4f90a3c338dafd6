// Benchmark for docs/contract.md "Speed and scale" (a million bots: sweep under 0.5 s): the stale sweep and the
// alert gauges' scrape-time queries against a fleet of BENCH_BOTS connected bots (default 1,000,000)
// of which BENCH_STALE (default 200) have gone silent. PostgreSQL only (DATABASE_URL).
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:sweep
// Then the same with probing on (queue the nudges, judge them), and with ALERT_GROUP_WINDOW (open,
// join and close one group per owner; BENCH_CHANNELS=1: and one per channel). BENCH_STORM=1 also times a storm
// sweep (60 % of the fleet silent at once).
import { createSweep } from '../src/alerts/sweep.ts';
import { isIncidentOpen } from '../src/db/incidents.ts';
import { countPendingMails } from '../src/db/outbox.ts';
import { migrate } from '../src/db/migrate.ts';
import { openScratchDatabase, withAdmin } from './scratch-database.ts';
import { insertBotsWithActivity } from './seed-bots.ts';

const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  console.error('bench:sweep needs DATABASE_URL (a PostgreSQL server); it creates and drops its own database');
  process.exit(2);
}
const botCount = Number(process.env.BENCH_BOTS ?? 1_000_000);
const staleCount = Number(process.env.BENCH_STALE ?? 200);
const STALE_AFTER_MS = 10 * 60_000;

const scratch = await openScratchDatabase(serverUrl);
const db = scratch.db;
if (process.env.BENCH_LOG_SLOW) {
  await withAdmin(serverUrl, (admin) => admin.query(`ALTER DATABASE ${scratch.name} SET log_min_duration_statement = ${Number(process.env.BENCH_LOG_SLOW)}`));
}

const time = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  const result = await fn();
  console.log(`${label.padEnd(52)} ${(performance.now() - started).toFixed(1).padStart(9)} ms`);
  return result;
};

try {
  await migrate(db);
  const now = new Date();
  await time(`seed ${botCount} connected bots, ${staleCount} silent`, async () => {
    await db.query(
      `INSERT INTO users (email, password_hash) SELECT 'owner' || i || '@bench.test', 'x' FROM generate_series(1, $1) i`,
      [Math.max(1, Math.ceil(botCount / 10))],
    );
    await insertBotsWithActivity(
      db,
      ['user_id', 'name', 'token_hash', 'token_prefix', 'widget_key', 'connection_status', 'wordpress_connected',
       'wordpress_site_url', 'wordpress_plugin_version', 'status_changed_at'],
      `SELECT u.id AS user_id, 'Bot ' || i AS name, md5(i::text) AS token_hash, 'bot_x' AS token_prefix, 'pub_' || md5(i::text) AS widget_key,
              'connected' AS connection_status, true AS wordpress_connected, 'https://site' || i || '.example.com' AS wordpress_site_url,
              '1.1.0' AS wordpress_plugin_version,
              CASE WHEN i <= $2 THEN $3::timestamptz - interval '20 minutes'
                   ELSE $3::timestamptz - (random() * interval '5 minutes') END AS last_activity,
              $3::timestamptz - interval '1 day' AS status_changed_at
       FROM generate_series(1, $1) i
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users) u ON u.n = (i - 1) % $4`,
      [botCount, staleCount, now, Math.max(1, Math.ceil(botCount / 10))],
    );
    await db.exec('VACUUM ANALYZE bots');
  });

  const sweep = createSweep({ db, staleAfterMs: STALE_AFTER_MS, alertRepeatMs: 86_400_000, stormFraction: 0.5, stormMin: 20 });
  const first = await time(`sweep: ${staleCount} of ${botCount} go stale`, () => sweep.run(now));
  console.log(`  flipped ${first.flipped}, stale mails queued ${first.staleMails}`);
  await time('sweep: nothing to do', () => sweep.run(new Date(now.getTime() + 1000)));
  await time('sweep: nothing to do (again)', () => sweep.run(new Date(now.getTime() + 2000)));
  await time('scrape: agentdesk_outbox_pending', () => countPendingMails(db));
  await time('scrape: agentdesk_storm_incident_active', () => isIncidentOpen(db));

  // With probing on: the sweep that queues the nudges, then the one that judges them
  // PROBE_CONFIRM later (the answers are written directly: this times the sweep, not the network).
  const probing = createSweep({
    db,
    staleAfterMs: STALE_AFTER_MS,
    alertRepeatMs: 86_400_000,
    stormFraction: 0.5,
    stormMin: 20,
    probe: { confirmMs: 120_000, giveUpMs: 600_000 },
  });
  const later = new Date(now.getTime() + 10_000);
  await db.query(
    `UPDATE bot_liveness SET last_activity = $2::timestamptz - interval '20 minutes'
     WHERE bot_id IN (SELECT id FROM bots WHERE connection_status = 'connected' ORDER BY id LIMIT $1)`,
    [staleCount, later],
  );
  const queued = await time(`probing sweep: ${staleCount} past deadline, nudges queued`, () => probing.run(later));
  console.log(`  probes queued ${queued.probesQueued}, flipped ${queued.flipped}`);
  await db.query(`UPDATE site_probes SET status = 'answered', answer = '{"kind":"http","status":200}', answered_at = $1 WHERE status = 'pending'`, [later]);
  const judged = await time(`probing sweep: ${staleCount} judged after PROBE_CONFIRM`, () => probing.run(new Date(later.getTime() + 120_000)));
  console.log(`  flipped ${judged.flipped}, stale mails queued ${judged.staleMails}`);
  await time('probing sweep: nothing to do', () => probing.run(new Date(later.getTime() + 121_000)));

  // With ALERT_GROUP_WINDOW (docs/alerts.md "Alert groups"): the sweep that opens one group per owner, the one 30 s later
  // whose silent sites (the same owners') join those groups, and the one that closes them. A 1-minute
  // window, so that all of it happens before the rest of the fleet's deadlines (5 minutes ahead).
  const grouped = createSweep({ db, staleAfterMs: STALE_AFTER_MS, alertRepeatMs: 86_400_000, stormFraction: 0.5, stormMin: 1_000_000, alertGroupWindowMs: 60_000 });
  const owners = await db.query<{ user_id: string }>(
    `SELECT DISTINCT user_id FROM bots WHERE connection_status = 'connected' ORDER BY user_id LIMIT $1`,
    [staleCount],
  );
  // BENCH_CHANNELS=1: each of these owners also has a Slack channel and an email contact, so every
  // burst opens, joins and closes three groups per owner (the account mail and each channel's).
  if (process.env.BENCH_CHANNELS === '1') {
    await db.query(
      `INSERT INTO alert_channels (user_id, kind, name, target)
       SELECT u.id, c.kind, c.name, c.target FROM unnest($1::uuid[]) AS u(id)
       CROSS JOIN (VALUES ('slack', '#ops', 'https://hooks.slack.com/services/T/B/X'), ('email', 'Colleague', 'colleague@example.com')) AS c(kind, name, target)`,
      [owners.rows.map((r) => r.user_id)],
    );
  }
  const silence = async (at: Date) =>
    db.query(
      `UPDATE bot_liveness SET last_activity = $2::timestamptz - interval '20 minutes'
       WHERE bot_id IN (SELECT DISTINCT ON (user_id) id FROM bots WHERE connection_status = 'connected' AND user_id = ANY($1::uuid[]) ORDER BY user_id, id)`,
      [owners.rows.map((r) => r.user_id), at],
    );
  const groupAt = new Date(later.getTime() + 130_000);
  await silence(groupAt);
  const opening = await time(`grouped sweep: ${staleCount} owners open a group`, () => grouped.run(groupAt));
  console.log(`  flipped ${opening.flipped}, groups opened ${opening.staleMails}`);
  const joinAt = new Date(groupAt.getTime() + 30_000);
  await silence(joinAt);
  const joining = await time(`grouped sweep: ${staleCount} more sites join them`, () => grouped.run(joinAt));
  console.log(`  flipped ${joining.flipped}, groups joined ${joining.groupsJoined}, new groups ${joining.staleMails}`);
  const closing = await time('grouped sweep: window ends, groups closed', () => grouped.run(new Date(groupAt.getTime() + 60_000)));
  console.log(`  groups closed ${closing.groupsClosed}`);

  if (process.env.BENCH_STORM === '1') {
    const silent = Math.floor(botCount * 0.6);
    await db.query(
      `UPDATE bot_liveness SET last_activity = $2::timestamptz - interval '20 minutes'
       WHERE bot_id IN (SELECT id FROM bots WHERE connection_status = 'connected' LIMIT $1)`,
      [silent, now],
    );
    const storm = await time(`sweep: storm, ${silent} go stale at once`, () => sweep.run(new Date(now.getTime() + 3000)));
    console.log(`  flipped ${storm.flipped}, storm ${storm.storm}, held mails ${storm.heldMails}`);
  }
} finally {
  await scratch.drop();
}
