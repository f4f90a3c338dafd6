// Soak benchmark (docs/RELIABILITY.md "Soak figures"): the real service process under steady heartbeat
// load for ten minutes with the stale sweep running every 10 s, sampling its RSS, heap and
// event-loop lag over time. Growth must level off: the script compares the last third of the run
// with the middle third and says whether memory still climbs. A benchmark, not a test.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:soak
// Options: SOAK_SECONDS (600), SOAK_RATE heartbeats/s (300), SOAK_BOTS (2000; a quarter get no
// heartbeats, so the sweep finds stale sites and queues mails), SOAK_SAMPLE_SECONDS (15).
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { migrate } from '../src/db/migrate.ts';
import { startService } from '../tests/helpers/service-process.ts';
import { openScratchDatabase } from './scratch-database.ts';
import { seedBots } from './seed-bots.ts';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
const rate = Number(process.env.SOAK_RATE ?? 300);
const botCount = Number(process.env.SOAK_BOTS ?? 2000);
const sampleSeconds = Number(process.env.SOAK_SAMPLE_SECONDS ?? 15);
const serverUrl = process.env.DATABASE_URL;

interface Sample {
  at: number;
  rssMb: number;
  heapMb: number;
  lagP99Ms: number;
  lagMaxMs: number;
  heartbeats: number;
  sweeps: number;
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** The value of one series in Prometheus text (the sum over labels when several match). */
function metric(text: string, name: string, labels = ''): number {
  const pattern = new RegExp(`^${name}(\\{[^}]*${labels}[^}]*\\})? ([0-9.eE+-]+)$`, 'gm');
  let sum = 0;
  for (const match of text.matchAll(pattern)) sum += Number(match[2]);
  return sum;
}

async function main() {
  if (!serverUrl) throw new Error('set DATABASE_URL (the soak runs the service on a scratch PostgreSQL database)');
  const scratch = await openScratchDatabase(serverUrl);
  try {
    await migrate(scratch.db);
    const tokens = await seedBots(scratch.db, botCount);
    const reporting = tokens.slice(0, Math.ceil(botCount * 0.75));
    const service = await startService({
      DATABASE_URL: scratch.url,
      LOG_LEVEL: 'warn',
      HEARTBEAT_RATE_LIMIT: '1000000',
      SWEEP_CRON: '*/10 * * * * *',
      STALE_AFTER: '1m',
    });
    console.log(`soak: ${seconds}s at ${rate} heartbeats/s over ${reporting.length} of ${botCount} bots, sweep every 10 s, sample every ${sampleSeconds}s`);
    console.log('   t(s)   RSS(MB)  heap(MB)  lag p99(ms)  lag max(ms)  heartbeats  sweeps');

    const samples: Sample[] = [];
    const started = performance.now();
    const sample = async () => {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      const s: Sample = {
        at: (performance.now() - started) / 1000,
        rssMb: rssMb(service.child.pid!),
        heapMb: metric(text, 'nodejs_heap_size_used_bytes') / 2 ** 20,
        lagP99Ms: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
        lagMaxMs: metric(text, 'nodejs_eventloop_lag_max_seconds') * 1000,
        heartbeats: metric(text, 'agentdesk_heartbeats_total', 'result="accepted"'),
        sweeps: metric(text, 'agentdesk_sweep_duration_seconds_count'),
      };
      samples.push(s);
      console.log(
        `${s.at.toFixed(0).padStart(7)} ${s.rssMb.toFixed(1).padStart(9)} ${s.heapMb.toFixed(1).padStart(9)} ${s.lagP99Ms.toFixed(1).padStart(12)} ${s.lagMaxMs.toFixed(1).padStart(12)} ${String(s.heartbeats).padStart(11)} ${String(s.sweeps).padStart(7)}`,
      );
    };
    const timer = setInterval(() => void sample().catch((error: Error) => console.log(`sample failed: ${error.message}`)), sampleSeconds * 1000);

    const load = spawn(process.execPath, [fileURLToPath(new URL('./load-worker.mjs', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    load.stdout.on('data', (chunk: Buffer) => (out += chunk));
    load.stdin.end(JSON.stringify({ url: `${service.url}/api/bots/wordpress-heartbeat`, connections: 20, duration: seconds, overallRate: rate, tokens: reporting }));
    await new Promise((resolve) => load.once('close', resolve));
    clearInterval(timer);
    await sample();
    const result = JSON.parse(out) as { rps: number; p99: number; ok: number; non2xx: number; errors: number };
    await service.stop();

    const third = Math.max(1, Math.floor(samples.length / 3));
    const mean = (list: Sample[], key: keyof Sample) => list.reduce((sum, s) => sum + s[key], 0) / list.length;
    const middle = samples.slice(third, 2 * third);
    const last = samples.slice(-third);
    const growth = (mean(last, 'rssMb') - mean(middle, 'rssMb')) / mean(middle, 'rssMb');
    console.log(`load: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms, ${result.ok} accepted, ${result.non2xx} non-2xx, ${result.errors} errors`);
    console.log(`RSS: middle third ${mean(middle, 'rssMb').toFixed(1)} MB, last third ${mean(last, 'rssMb').toFixed(1)} MB (${(growth * 100).toFixed(1)}%)`);
    console.log(`heap: middle third ${mean(middle, 'heapMb').toFixed(1)} MB, last third ${mean(last, 'heapMb').toFixed(1)} MB`);
    console.log(`event-loop lag p99: mean ${mean(samples, 'lagP99Ms').toFixed(1)} ms, worst ${Math.max(...samples.map((s) => s.lagP99Ms)).toFixed(1)} ms`);
    const levelled = growth < 0.1;
    console.log(levelled ? 'memory levels off (last third within 10% of the middle third)' : 'MEMORY STILL GROWING: last third more than 10% above the middle third');
    if (!levelled) process.exitCode = 1;
  } finally {
    await scratch.drop();
  }
}

await main();
