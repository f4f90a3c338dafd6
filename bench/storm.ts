// Benchmark for "storms never block ingest" (docs/contract.md "Speed and scale"): the service, started as `npm start` runs it
// (its own process, telemetry loaded, its own cron sweep), holds BENCH_BOTS connected bots
// (default 200,000) of which BENCH_SILENT (default half) went silent together. Their deadline is
// placed a few seconds ahead (through ingest_resumed_at, as after a restart of ours), so the sweep
// that flips them starts on its own while real heartbeats arrive over HTTP at BENCH_RATE a second
// (default 200), half from bots of the storm, half from the others, each token once (the per-token
// limit is not what gets measured). Requests are sent on a fixed schedule whatever the answers do,
// and a latency counts from the scheduled time, so a stall is measured, not hidden.
//
// It prints
//   storm: N flips in T s; heartbeat p99 during the storm X ms        (target X < 250)
// where T is the sweep's own duration (agentdesk_sweep_duration_seconds) and X the p99 of the
// heartbeats sent between its start and its end.
//
//   npm run bench:storm                                                              (embedded PostgreSQL, the default)
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:storm   (a scratch database on that server)
// Options (environment, or --bots=N --silent=N --rate=N): BENCH_BOTS, BENCH_SILENT, BENCH_RATE,
// BENCH_MAX_SECONDS (default 300: give up waiting for the storm sweep). Any other variable goes to
// the service (SWEEP_BATCH=… to try another batch size). The service runs with PROBE=off (a storm
// is then flipped at once; with probing it is only queued) and STORM_FRACTION=0.4 (half the fleet
// is not "more than half").
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Database } from '../src/db/database.ts';
import { embeddedDatabaseUrl } from '../src/db/embedded-postgres.ts';
import { openPgDatabase } from '../src/db/pg-driver.ts';
import { openScratchDatabase } from './scratch-database.ts';
import { insertBotsWithActivity } from './seed-bots.ts';
import { SERVICE_ARGS, SERVICE_READY, startProcess, stopProcess } from './service-process.ts';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const botCount = Number(arg('bots') ?? process.env.BENCH_BOTS ?? 200_000);
const silentCount = Number(arg('silent') ?? process.env.BENCH_SILENT ?? Math.floor(botCount / 2));
const rate = Number(arg('rate') ?? process.env.BENCH_RATE ?? 200);
const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? 300);
const serverUrl = process.env.DATABASE_URL;
const STALE_AFTER_MS = 10 * 60_000;
/** The service's sweep runs every 5 seconds here (SWEEP_CRON), so the storm starts soon after its deadline. */
const SWEEP_EVERY_MS = 5000;

/** Bot i's token: derived from i, so the seed can store its hash and the load can send it. */
const tokenOf = (i: number) => `bot_${md5(String(i))}${md5(`x${i}`)}`;
const siteOf = (i: number) => `https://storm${i}.example.com`;
function md5(text: string) {
  return createHash('md5').update(text).digest('hex');
}

/** Seeds the fleet in two statements: owners of 10 bots each; bots 1…silent silent for 20 minutes, the rest recently seen. */
async function seed(db: Database, now: Date) {
  const owners = Math.max(1, Math.ceil(botCount / 10));
  await db.query(`INSERT INTO users (email, password_hash) SELECT 'storm-owner-' || i || '@bench.test', 'x' FROM generate_series(1, $1) i`, [owners]);
  await insertBotsWithActivity(
    db,
    ['user_id', 'name', 'token_hash', 'token_prefix', 'widget_key', 'connection_status', 'wordpress_connected',
     'wordpress_site_url', 'wordpress_plugin_version', 'wordpress_wp_version', 'status_changed_at'],
    `SELECT u.id AS user_id, 'Storm bot ' || i AS name, encode(sha256(convert_to('bot_' || md5(i::text) || md5('x' || i), 'UTF8')), 'hex') AS token_hash,
            left('bot_' || md5(i::text), 11) AS token_prefix, 'pub_' || md5(i::text) AS widget_key, 'connected' AS connection_status, true AS wordpress_connected,
            'https://storm' || i || '.example.com' AS wordpress_site_url, '1.1.0' AS wordpress_plugin_version, '6.1.1' AS wordpress_wp_version,
            CASE WHEN i <= $2 THEN $3::timestamptz - interval '20 minutes' ELSE $3::timestamptz - random() * interval '4 minutes' END AS last_activity,
            $3::timestamptz - interval '1 day' AS status_changed_at
     FROM generate_series(1, $1) i
     JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE email LIKE 'storm-owner-%') u ON u.n = (i - 1) % $4`,
    [botCount, silentCount, now, owners],
  );
  await db.exec('VACUUM ANALYZE bots');
  // The seed's WAL is flushed now rather than by a checkpoint in the middle of the measurement.
  await db.exec('CHECKPOINT').catch(() => {});
}

/** n distinct numbers from lo…hi, shuffled. */
function sample(lo: number, hi: number, n: number): number[] {
  const picked = new Set<number>();
  const want = Math.min(n, hi - lo + 1);
  while (picked.size < want) picked.add(lo + Math.floor(Math.random() * (hi - lo + 1)));
  return [...picked];
}

interface Sent {
  at: number;
  ms: number;
  status: number;
}

/** Sends heartbeats at `rate` a second on a fixed schedule until stop(); each latency counts from its scheduled time. */
function startLoad(base: string, bots: number[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL('/api/bots/wordpress-heartbeat', base);
  const results: Sent[] = [];
  let inFlight = 0;
  let next = 0;
  const started = performance.now();
  const epoch = Date.now() - started;
  const send = (i: number, scheduled: number) => {
    inFlight++;
    const body = JSON.stringify({ site_url: siteOf(i), plugin_version: '1.1.0', wp_version: '6.1.1', is_active: true });
    const done = (status: number) => {
      inFlight--;
      results.push({ at: epoch + scheduled, ms: performance.now() - scheduled, status });
    };
    const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-bot-token': tokenOf(i), 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => done(response.statusCode ?? 0));
    });
    request.on('error', () => done(0));
    request.end(body);
  };
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) * rate) / 1000);
    while (next < due && next < bots.length) send(bots[next]!, started + (next * 1000) / rate), next++;
  }, 5);
  return {
    results,
    exhausted: () => next >= bots.length,
    async stop() {
      clearInterval(timer);
      const until = Date.now() + 120_000;
      while (inFlight > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      agent.destroy();
    },
  };
}

/** The sweep figures of the service's /metrics: completed sweeps, their total duration, the end of the last one. */
async function sweepFigures(base: string) {
  const text = await (await fetch(new URL('/metrics', base))).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    count: value('agentdesk_sweep_duration_seconds_count'),
    sum: value('agentdesk_sweep_duration_seconds_sum'),
    endedAt: value('agentdesk_sweep_last_success_timestamp_seconds') * 1000,
  };
}

const p99 = (values: number[]) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
};

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-storm-'));
  const scratch = serverUrl ? await openScratchDatabase(serverUrl, { poolSize: 2 }) : undefined;
  const databaseEnv: Record<string, string> = scratch ? { DATABASE_URL: scratch.url } : {};
  let db: Database | undefined = scratch?.db;
  let service: Awaited<ReturnType<typeof startProcess>> | undefined;
  try {
    const { BENCH_BOTS: _b, BENCH_SILENT: _s, BENCH_RATE: _r, BENCH_MAX_SECONDS: _m, DATABASE_URL: _d, ...callerEnv } = process.env;
    service = await startProcess(
      SERVICE_ARGS,
      {
        NODE_ENV: 'production',
        PROBE: 'off',
        STORM_FRACTION: '0.4',
        ...callerEnv,
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dataDir,
        SWEEP_CRON: `*/${SWEEP_EVERY_MS / 1000} * * * * *`,
        STALE_AFTER: `${STALE_AFTER_MS / 60_000}m`,
        ...databaseEnv,
      },
      SERVICE_READY,
    );
    const base = service.match[1]!;
    db ??= openPgDatabase({ connectionString: embeddedDatabaseUrl(dataDir), poolSize: 2 });

    const seeding = performance.now();
    await seed(db, new Date());
    console.log(`${serverUrl ? 'PostgreSQL of DATABASE_URL' : 'embedded PostgreSQL'}: seeded ${botCount} bots (${silentCount} silent) in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

    // The silent bots' deadline, halfway between two sweeps a few seconds from now: counted from
    // ingest_resumed_at (later than their last heartbeat), it is the same for all of them.
    const deadline = Math.ceil((Date.now() + 8000) / SWEEP_EVERY_MS) * SWEEP_EVERY_MS - SWEEP_EVERY_MS / 2;
    await db.query(
      `INSERT INTO service_state (key, value, updated_at) VALUES ('ingest_resumed_at', $1, now())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [new Date(deadline - STALE_AFTER_MS).toISOString()],
    );

    // Half the heartbeats from bots of the storm, half from the others, interleaved, each token once.
    const budget = Math.ceil(rate * (maxSeconds + 30));
    const stormBots = sample(1, silentCount, Math.ceil(budget / 2));
    const calmBots = sample(silentCount + 1, botCount, Math.ceil(budget / 2));
    const order = stormBots.flatMap((bot, k) => (calmBots[k] === undefined ? [bot] : [bot, calmBots[k]!]));
    const loadStarted = Date.now();
    const load = startLoad(base, order);

    let storm: { startedAt: number; endedAt: number; seconds: number } | undefined;
    let last = await sweepFigures(base);
    const giveUpAt = deadline + maxSeconds * 1000;
    while (!storm && Date.now() < giveUpAt && !load.exhausted()) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = await sweepFigures(base);
      if (now.count === last.count + 1) {
        const seconds = now.sum - last.sum;
        const startedAt = now.endedAt - seconds * 1000;
        if (startedAt >= deadline) storm = { startedAt, endedAt: now.endedAt, seconds };
      }
      last = now;
    }
    // A little traffic after the sweep, then let every request finish.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await load.stop();
    if (!storm) throw new Error(`no storm sweep was seen within ${maxSeconds} s of the deadline (see ${service.logFile})`);

    const { rows } = await db.query<{ flips: number; incidents: number }>(
      `SELECT (SELECT count(*) FROM connection_events WHERE reason = 'no_heartbeat')::int AS flips,
              (SELECT count(*) FROM alert_incidents)::int AS incidents`,
    );
    const during = load.results.filter((r) => r.at >= storm!.startedAt && r.at <= storm!.endedAt);
    // Before the storm, past a 2-second warm-up (connections, prepared statements).
    const before = load.results.filter((r) => r.at >= loadStarted + 2000 && r.at < storm!.startedAt);
    const failed = during.filter((r) => r.status !== 200).length;
    console.log(`heartbeats: ${before.length} before the storm (p99 ${p99(before.map((r) => r.ms)).toFixed(0)} ms), ${during.length} during it (${failed} not answered 200), at ${rate}/s`);
    console.log(`storm incidents opened: ${rows[0]!.incidents}`);
    console.log(`storm: ${rows[0]!.flips} flips in ${storm.seconds.toFixed(1)} s; heartbeat p99 during the storm ${p99(during.map((r) => r.ms)).toFixed(0)} ms`);
  } finally {
    if (!scratch) await db?.close();
    if (service) await stopProcess(service.child);
    await scratch?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
