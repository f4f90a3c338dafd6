// Benchmark for docs/contract.md "Speed and scale" (heartbeat ingest), measured the way users run the service:
//   - the baseline is a bare Fastify POST route in its own process (bench/bare-fastify.mjs), sent
//     the very request a heartbeat is (JSON body, x-bot-token header) by the same generator over
//     the same connections: the "same-shape" ratio;
//   - the service is started with `npm start`'s command line (the compiled build/, telemetry
//     loaded, production defaults: LOG_LEVEL=info, HEARTBEAT_RATE_LIMIT=30/min), on its own
//     embedded PostgreSQL or, with DATABASE_URL, on a scratch database of that server; its logs go
//     to a file as a process manager would write them;
//   - heartbeats rotate over BENCH_BOTS tokens (default 30,000) so that the per-token limit is not
//     what gets measured; every bot sends one heartbeat before the measured phase, so that phase
//     is the steady state (no status change, no event).
// It prints the rates and their ratios, the CPU time per request of the bare process, of the
// service and of the PostgreSQL backends serving its database (a cost that, unlike a rate, barely
// moves when the shared machine is busy), the p99 at half the bare rate, and checks that every
// acknowledged heartbeat was committed. Only figures measured in one run mean anything.
//
//   npm run bench:ingest                                                              (embedded PostgreSQL, the default)
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:ingest   (that server)
// Options: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 50), BENCH_BOTS (default 30000),
// BENCH_CPU_PROF=dir (a V8 CPU profile of the service, written there when it stops), BENCH_BUILD=dir
// (measure another compiled build, e.g. of the previous commit, in a folder beside build/); any
// other variable is passed to the service (e.g. LOG_LEVEL=warn to compare).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '../src/db/database.ts';
import { EMBEDDED_DATABASE, embeddedDatabaseUrl } from '../src/db/embedded-postgres.ts';
import { openPgDatabase } from '../src/db/pg-driver.ts';
import { openScratchDatabase } from './scratch-database.ts';
import { seedBots } from './seed-bots.ts';
import { SERVICE_ARGS, SERVICE_READY, startProcess, stopProcess } from './service-process.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const botCount = Number(process.env.BENCH_BOTS ?? 30_000);
const serverUrl = process.env.DATABASE_URL;
/** With BENCH_CPU_PROF=dir, the service runs with --cpu-prof and leaves its profile there at exit. */
const cpuProfileDir = process.env.BENCH_CPU_PROF;
/** With BENCH_BUILD=dir (a folder beside build/, compiled from another commit), that build is measured instead. */
const otherBuild = process.env.BENCH_BUILD;

/**
 * CPU time (ms) used so far by the given processes and by the PostgreSQL backends serving the
 * named database: a cost per request that, unlike a rate, barely moves when the machine is busy.
 */
function cpuMs(pids: number[], database?: string): { node: number; postgres: number } {
  const ticks = (pid: number | string) => {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (1/100 s)
    } catch {
      return 0; // exited
    }
  };
  let postgres = 0;
  if (database) {
    for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${database} `)) postgres += ticks(pid);
      } catch {
        // gone
      }
    }
  }
  return { node: pids.reduce((sum, pid) => sum + ticks(pid), 0) * 10, postgres: postgres * 10 };
}

/** Runs a phase and adds the CPU microseconds per answered request of the processes measured. */
async function runMeasured(phase: LoadPhase, pid: number, database?: string) {
  const before = cpuMs([pid], database);
  const result = await run(phase);
  const after = cpuMs([pid], database);
  const requests = Math.max(1, result.ok + result.non2xx);
  return {
    ...result,
    nodeUs: ((after.node - before.node) * 1000) / requests,
    postgresUs: ((after.postgres - before.postgres) * 1000) / requests,
    loadUs: result.loadCpuUs / requests,
  };
}

/** One load phase, run by bench/load-worker.mjs in a child process. */
interface LoadPhase {
  url: string;
  connections: number;
  duration: number;
  /** Stop after this many requests (before `duration` ends). */
  amount?: number;
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
  /** CPU time of the load generator itself during the phase. */
  loadCpuUs: number;
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
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-'));
  // With DATABASE_URL, a scratch database there; without, the service starts its embedded one.
  const scratch = serverUrl ? await openScratchDatabase(serverUrl, { poolSize: 4 }) : undefined;
  const databaseEnv: Record<string, string> = scratch ? { DATABASE_URL: scratch.url } : {};
  const databaseName = scratch?.name ?? EMBEDDED_DATABASE;
  let db: Database | undefined = scratch?.db;
  const processes: ChildProcess[] = [];
  try {
    const bare = await startProcess([fileURLToPath(new URL('./bare-fastify.mjs', import.meta.url))], { PATH: process.env.PATH }, /^(\d+)$/m);
    processes.push(bare.child);
    // npm start's command line (package.json "start"), with production defaults: only where to
    // listen and which database are set here, plus whatever the caller passed.
    const { BENCH_SECONDS: _s, BENCH_CONNECTIONS: _c, BENCH_BOTS: _b, BENCH_CPU_PROF: _p, BENCH_BUILD: _o, DATABASE_URL: _d, ...callerEnv } = process.env;
    const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfileDir)}`] : [];
    const service = await startProcess(
      [...profile, ...SERVICE_ARGS.map((arg) => (otherBuild ? arg.replace(/^(\.\/)?build\//, `$1${otherBuild}/`) : arg))],
      { ...callerEnv, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, ...databaseEnv },
      SERVICE_READY,
    );
    processes.push(service.child);
    db ??= openPgDatabase({ connectionString: embeddedDatabaseUrl(dataDir), poolSize: 4 });
    const tokens = await seedBots(db, botCount);

    const base = service.match[1]!;
    // Both sides get the same request from the same generator: a POST with a JSON body and the token header.
    const bareRoute: LoadPhase = { url: `http://127.0.0.1:${bare.match[1]}/bare`, connections, duration: seconds, tokens };
    const heartbeat: LoadPhase = { url: `${base}/api/bots/wordpress-heartbeat`, connections, duration: seconds, tokens };

    console.log(`${serverUrl ? 'PostgreSQL of DATABASE_URL' : 'embedded PostgreSQL'}, ${connections} connections, ${seconds}s per phase, ${botCount} bots; service as npm start runs it${otherBuild ? ` from ${otherBuild}/` : ''} (LOG_LEVEL ${process.env.LOG_LEVEL ?? 'info'}); load from a separate process; load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`);
    await run({ ...bareRoute, duration: 2 }); // warm-up
    const bareRate = await runMeasured(bareRoute, bare.child.pid!);
    await run({ url: `${base}/healthz`, connections, duration: 2 });
    const inApp = await runMeasured({ url: `${base}/healthz`, connections, duration: seconds }, service.child.pid!);
    // One heartbeat per bot first (each connects: a status change and an event), so that what is
    // measured next is the steady state of a fleet, where a bot's heartbeat changes nothing but its
    // last activity and its hourly count.
    const firsts = await run({ ...heartbeat, amount: tokens.length, duration: 600 });
    const warmup = await run({ ...heartbeat, duration: 2 });
    const ingest = await runMeasured(heartbeat, service.child.pid!, databaseName);
    // The bare route again, offered the rate the heartbeat reached: an HTTP server's CPU per request
    // rises as its rate falls (fewer requests share each wake-up and each read of the sockets), so
    // this is the floor for a route that answers at the heartbeat's rate.
    const bareAtIngestRate = await runMeasured({ ...bareRoute, overallRate: Math.max(1, Math.round(ingest.rps)) }, bare.child.pid!);
    const halfRate = Math.max(1, Math.round(bareRate.rps / 2));
    const paced = await run({ ...heartbeat, overallRate: halfRate });
    // Every 200 must already be a heartbeat in the hourly counts, since a 200 is sent only after
    // its commit; a few more may be counted (requests the load tool gave up on were committed, not
    // counted).
    const acknowledged = firsts.ok + warmup.ok + ingest.ok + paced.ok;
    const { rows } = await db.query<{ n: number }>('SELECT coalesce(sum(count), 0)::int AS n FROM heartbeat_hours');
    const committed = rows[0]!.n;

    console.log(`bare Fastify POST:     ${bareRate.rps.toFixed(0)} req/s (baseline: same request, same generator and connections)`);
    console.log(`in-app route /healthz: ${inApp.rps.toFixed(0)} req/s (a GET) = ${(inApp.rps / bareRate.rps).toFixed(2)} × baseline`);
    console.log(`heartbeat ingest:      ${ingest.rps.toFixed(0)} req/s = ${(ingest.rps / bareRate.rps).toFixed(2)} × baseline: same-shape ratio (target ≥ 0.50)`);
    console.log(
      `CPU per request: bare POST ${bareRate.nodeUs.toFixed(0)} µs; steady-state heartbeat ${ingest.nodeUs.toFixed(0)} µs in Node (target ≤ 60) ` +
        `+ ${ingest.postgresUs.toFixed(0)} µs in PostgreSQL (target ≤ 50); Node CPU ratio bare / heartbeat ${(bareRate.nodeUs / Math.max(1, ingest.nodeUs)).toFixed(2)}`,
    );
    console.log(
      `bare POST offered the heartbeat's rate (${bareAtIngestRate.rps.toFixed(0)} req/s): ${bareAtIngestRate.nodeUs.toFixed(0)} µs per request, the floor at that rate; ` +
        `the heartbeat's own Node CPU above it ${(ingest.nodeUs - bareAtIngestRate.nodeUs).toFixed(0)} µs`,
    );
    console.log(`in-app /healthz CPU per request: ${inApp.nodeUs.toFixed(0)} µs`);
    // The load generator runs on the same cores: a rate is bounded by the CPU of all three.
    console.log(`load generator CPU per request: bare ${bareRate.loadUs.toFixed(0)} µs, heartbeat ${ingest.loadUs.toFixed(0)} µs`);
    console.log(`heartbeat at ${halfRate} req/s (half the baseline): achieved ${paced.rps.toFixed(0)} req/s, p50 ${paced.p50} ms, p99 ${paced.p99} ms (target < 25 ms)`);
    console.log(`non-2xx: first heartbeats ${firsts.non2xx}, ingest ${ingest.non2xx}, paced ${paced.non2xx}; errors ${firsts.errors + ingest.errors + paced.errors}`);
    console.log(`committed vs acknowledged: ${committed} heartbeats counted, ${acknowledged} acknowledged: ${committed >= acknowledged ? 'every acknowledged heartbeat is committed' : 'ACKNOWLEDGED BUT NOT COMMITTED'}`);
    if (committed < acknowledged) process.exitCode = 1;
  } finally {
    if (!scratch) await db?.close();
    for (const child of processes) await stopProcess(child);
    await scratch?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
