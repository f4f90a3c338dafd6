// Benchmark for spec §10 "Heartbeat ingest": the heartbeat endpoint's request rate as a ratio of a
// bare route on the same server in the same run (machines here are shared and noisy: only the
// ratio means anything), the p99 latency at half the bare rate, and a check that every
// acknowledged heartbeat was committed.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:ingest   (PostgreSQL)
//   npm run bench:ingest                                                              (PGlite)
// Options: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 50), BENCH_BOTS (default 2000).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { openScratchDatabase } from './scratch-database.ts';
import { seedBots } from './seed-bots.ts';
import { openPgliteDatabase } from '../src/db/pglite-driver.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const botCount = Number(process.env.BENCH_BOTS ?? 2000);
const serverUrl = process.env.DATABASE_URL;

async function openBenchDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  if (serverUrl) return openScratchDatabase(serverUrl, { poolSize: 10 });
  const db = await openPgliteDatabase();
  return { db, drop: () => db.close() };
}

/** One load phase, run by bench/load-worker.mjs in a child process. */
interface LoadPhase {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
  tokens?: string[];
}

interface PhaseResult {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
}

function run(phase: LoadPhase): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./load-worker.mjs', import.meta.url))], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out) as PhaseResult) : reject(new Error(`load phase exited ${code}`))));
    child.stdin.end(JSON.stringify(phase));
  });
}

async function main() {
  const { db, drop } = await openBenchDatabase();
  try {
    await migrate(db);
    const tokens = await seedBots(db, botCount);
    // The per-token limit is the plugin's safety net, not what is measured here.
    const config = loadConfig({ LOG_LEVEL: 'warn', HEARTBEAT_RATE_LIMIT: '1000000' });
    const app = await buildApp({ config, db });
    app.get('/bench/bare', async () => ({ success: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    const heartbeat: LoadPhase = { url: `${base}/api/bots/wordpress-heartbeat`, connections, duration: seconds, tokens };
    const bareRoute: LoadPhase = { url: `${base}/bench/bare`, connections, duration: seconds };

    console.log(`driver ${db.driver}, ${connections} connections, ${seconds}s per phase, ${botCount} bots, load from a separate process`);
    await run({ ...bareRoute, duration: 2 }); // warm-up
    const bare = await run(bareRoute);
    const warmup = await run({ ...heartbeat, duration: 2 });
    const ingest = await run(heartbeat);
    const halfRate = Math.max(1, Math.round(bare.rps / 2));
    const paced = await run({ ...heartbeat, overallRate: halfRate });

    // Every 200 (warm-up included) must be a heartbeat in the hourly counts; a few more may be
    // counted (requests still in flight when the load tool stopped were committed, not counted).
    const acknowledged = warmup.ok + ingest.ok + paced.ok;
    const { rows } = await db.query<{ n: number }>('SELECT coalesce(sum(count), 0) AS n FROM heartbeat_hours');

    const ratio = ingest.rps / bare.rps;
    console.log(`bare route:            ${bare.rps.toFixed(0)} req/s (baseline)`);
    console.log(`heartbeat ingest:      ${ingest.rps.toFixed(0)} req/s = ${ratio.toFixed(2)} × baseline (target ≥ 0.50)`);
    console.log(`heartbeat at ${halfRate} req/s (half the baseline): achieved ${paced.rps.toFixed(0)} req/s, p50 ${paced.p50} ms, p99 ${paced.p99} ms (target < 25 ms)`);
    console.log(`non-2xx: ingest ${ingest.non2xx}, paced ${paced.non2xx}; errors ${ingest.errors + paced.errors}`);
    const committed = rows[0]!.n;
    console.log(`committed vs acknowledged: ${committed} heartbeats counted, ${acknowledged} acknowledged: ${committed >= acknowledged ? 'every acknowledged heartbeat is committed' : 'ACKNOWLEDGED BUT NOT COMMITTED'}`);
    if (committed < acknowledged) process.exitCode = 1;
    await app.close();
  } finally {
    await drop();
  }
}

await main();
