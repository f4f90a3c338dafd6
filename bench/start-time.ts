// Start-to-ready time and idle memory of the service (docs/SCALING.md "Start time and memory"):
// the compiled start (`npm start`: node build/main.js) against the TypeScript sources run through
// tsx (`npm run dev`, the old `npm start`), alternated in one run on one scratch database of the
// PostgreSQL server of DATABASE_URL, so both pay the same noise of a shared machine.
//   - ready: from spawning node to the first 200 of /healthz (polled every 10 ms once the start
//     banner names the port);
//   - RSS: the process's resident memory (VmRSS) after 3 s idle once ready.
// The database is migrated by a first, unmeasured start, so no measured start applies migrations.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:start
// Options: BENCH_REPEAT (default 5 starts of each).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer, buildIsCurrent } from '../scripts/build-server.mjs';
import { openScratchDatabase } from './scratch-database.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const repeat = Number(process.env.BENCH_REPEAT ?? 5);
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) throw new Error('bench:start measures on the PostgreSQL server of DATABASE_URL: set it');

const STARTS = {
  compiled: ['--import', './build/telemetry.js', 'build/main.js'],
  tsx: ['--import', 'tsx', '--import', './src/telemetry.ts', 'src/main.ts'],
} as const;
type Kind = keyof typeof STARTS;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function startOnce(kind: Kind, env: NodeJS.ProcessEnv): Promise<{ readyMs: number; rssMb: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...STARTS[kind]], { cwd: root, env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  try {
    // The port is in the start banner (PORT=0); ready is the first 200 of /healthz there.
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${kind} start exited ${child.exitCode}:\n${output}`);
      if (performance.now() - started > 60_000) throw new Error(`${kind} start not ready in 60 s:\n${output}`);
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (port && (await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false))) break;
      await sleep(10);
    }
    const readyMs = performance.now() - started;
    await sleep(3000);
    return { readyMs, rssMb: rssMb(child.pid!) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const range = (values: number[], digits: number) => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

async function main() {
  if (!buildIsCurrent()) buildServer();
  const scratch = await openScratchDatabase(serverUrl!, { poolSize: 1 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-start-'));
  const env = { PATH: process.env.PATH, NODE_ENV: 'production', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: scratch.url, LOG_LEVEL: 'warn' };
  try {
    await startOnce('compiled', env); // applies the migrations
    const results: Record<Kind, { readyMs: number; rssMb: number }[]> = { compiled: [], tsx: [] };
    for (let i = 0; i < repeat; i++) {
      for (const kind of ['tsx', 'compiled'] as const) results[kind].push(await startOnce(kind, env));
    }
    console.log(`${repeat} starts of each, alternated, on a scratch database of DATABASE_URL; load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
    for (const kind of ['tsx', 'compiled'] as const) {
      const ready = results[kind].map((r) => r.readyMs);
      const rss = results[kind].map((r) => r.rssMb);
      console.log(`${kind.padEnd(8)} ready ${median(ready).toFixed(0)} ms median (${range(ready, 0)}), idle RSS ${median(rss).toFixed(0)} MB median (${range(rss, 0)})`);
    }
    const ratio = median(results.compiled.map((r) => r.readyMs)) / median(results.tsx.map((r) => r.readyMs));
    console.log(`compiled / tsx: ready time ${ratio.toFixed(2)}×, RSS ${(median(results.compiled.map((r) => r.rssMb)) / median(results.tsx.map((r) => r.rssMb))).toFixed(2)}×`);
  } finally {
    await scratch.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
