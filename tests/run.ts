// `npm test`: runs every tests/**/*.test.ts with uvu, spread over worker processes (one per core,
// or TEST_WORKERS), and ends with the line CI reads: "N passed, N failed, N skipped", summed over
// all files. Each file's output is printed as one block when the file is done; failed files are
// listed again before the last line.
//   `npm test -- heartbeat`   only files whose path contains "heartbeat"
//   `--e2e`                   the end-to-end suites (`*.e2e.ts`, e.g. `npm run test:wordpress`) instead
//   `--dir=DIR`               another folder of suites (tests/runner.test.ts feeds it tests/fixtures/runner)
//   `--write-timings`         store this run's durations in tests/timings.json (it orders the files)
// Each worker has its own databases (tests/helpers/database.ts creates them per process). Files
// that start with ALONE_MARKER run after the others, one at a time, with no other file running.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'uvu/parse';
import { EXIT_GRACE_MS, planRun, runsAlone, workerCount, type TestFile } from './helpers/run-plan.ts';
import { combineCounts, countTests, summaryLine, type FileCounts } from './helpers/run-summary.ts';
import type { FromWorker, ToWorker } from './helpers/run-worker.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const timingsPath = path.join(root, 'tests', 'timings.json');
const workerScript = fileURLToPath(new URL('./helpers/run-worker.ts', import.meta.url));
const args = process.argv.slice(2);
const e2e = args.includes('--e2e');
const writeTimings = args.includes('--write-timings');
const dir = args.find((arg) => arg.startsWith('--dir='))?.slice('--dir='.length) ?? 'tests';
const filter = args.find((arg) => !arg.startsWith('--')) ?? '';
const suffix = e2e ? '\\.e2e\\.ts$' : '\\.test\\.ts$';
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pattern = filter ? `^(?=.*${escapeRegExp(filter)}).*${suffix}` : suffix;
/** A worker held open past its own grace (run-worker.ts) and stuck even then is killed this much later. */
const KILL_AFTER_MS = EXIT_GRACE_MS + 30_000;

interface FileResult extends FileCounts {
  name: string;
  seconds: number;
  /** Why the file failed beyond its failed tests (its worker died, nothing ran). */
  note?: string;
}

// tests/fixtures/ holds suites that fail on purpose (runner/, runner-leak/): only their own test runs them.
const { suites } = await parse(dir, pattern, { cwd: root, ignore: '^fixtures/' });
const files: TestFile[] = suites.map(({ name, file }) => {
  const source = fs.readFileSync(file, 'utf8');
  return { name, file, bytes: Buffer.byteLength(source), alone: runsAlone(source) };
});
const timings: Record<string, number> = fs.existsSync(timingsPath) ? JSON.parse(fs.readFileSync(timingsPath, 'utf8')) : {};
const plan = planRun(files, timings);
const queue = [...plan.parallel];
const aloneQueue = [...plan.alone];
const results: FileResult[] = [];
const runStarted = performance.now();

interface Worker {
  id: number;
  child: ChildProcess;
  current?: { file: TestFile; output: string; started: number };
  /** Files done by this worker, named if it fails to exit afterwards. */
  ran: string[];
  /** Output outside any file. */
  between: string;
  ready: boolean;
  finished: boolean;
}

const workers = new Set<Worker>();
let nextId = 1;
/** The worker running the alone files, once the shared queue is empty. */
let aloneRunner: Worker | undefined;

function startWorker() {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const worker: Worker = { id: nextId++, child, ran: [], between: '', ready: false, finished: false };
  workers.add(worker);
  // Output that bypasses the worker's streams (a child process inheriting them) joins the file's
  // block; what comes between files or after the last one is printed with the worker's exit.
  const stray = (chunk: Buffer) => {
    if (worker.current) worker.current.output += chunk.toString('utf8');
    else worker.between += chunk.toString('utf8');
  };
  child.stdout!.on('data', stray);
  child.stderr!.on('data', stray);
  child.on('message', (message: FromWorker) => {
    if (message.type === 'output') {
      if (worker.current) worker.current.output += message.text;
      else worker.between += message.text;
    } else if (message.type === 'done') {
      const { file, output, started } = worker.current!;
      worker.current = undefined;
      worker.ran.push(file.name);
      report(file, output, countTests(output, message.ok), started);
      dispatch(worker);
      // A worker that ends a file may be the last one the alone runner waits for.
      if (aloneRunner && aloneRunner !== worker && !aloneRunner.current) dispatch(aloneRunner);
    } else if (message.type === 'ready') {
      worker.ready = true;
      dispatch(worker);
    }
  });
  // 'close' rather than 'exit': the worker's last output has arrived by then.
  child.on('close', (code, signal) => {
    workers.delete(worker);
    if (aloneRunner === worker) aloneRunner = undefined;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (worker.current) {
      const { file, output, started } = worker.current;
      worker.current = undefined;
      report(file, output, countTests(output, false), started, `its worker exited with ${how} during this file`);
    } else if (code !== 0 || signal) {
      const name = `worker ${worker.id} (${worker.ran.length > 0 ? worker.ran.join(', ') : 'no file: it did not start'})`;
      const note = `exited with ${how} after its last file`;
      results.push({ name, passed: 0, failed: 1, skipped: 0, seconds: 0, note });
      process.stdout.write(`${name}: ${note}\n${worker.between.trim() ? `${worker.between.trim()}\n` : ''}\n`);
    } else if (worker.between.trim()) {
      process.stdout.write(`worker ${worker.id}, outside its files:\n${worker.between.trim()}\n\n`);
    }
    // A worker that died inside a file leaves its share to a new one (one that could not start does not).
    if (worker.ready && !worker.finished && (queue.length > 0 || aloneQueue.length > 0)) startWorker();
    // The alone runner may have been waiting for this one.
    for (const other of workers) if (!other.current && !other.finished && other.ready) dispatch(other);
    if (workers.size === 0) finishRun();
  });
}

/** Gives an idle worker its next file, or tells it to finish. */
function dispatch(worker: Worker) {
  if (worker.current || worker.finished || !worker.child.connected) return;
  const next = queue.shift();
  if (next) return send(worker, next);
  if (aloneQueue.length > 0 && (!aloneRunner || aloneRunner === worker)) {
    aloneRunner = worker;
    // Alone means alone: wait until no other worker is inside a file.
    if ([...workers].some((other) => other !== worker && other.current)) return;
    return send(worker, aloneQueue.shift()!);
  }
  worker.finished = true;
  worker.child.send({ type: 'finish' } satisfies ToWorker);
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), KILL_AFTER_MS);
  timer.unref();
  worker.child.once('exit', () => clearTimeout(timer));
}

function send(worker: Worker, file: TestFile) {
  worker.current = { file, output: '', started: performance.now() };
  worker.child.send({ type: 'run', name: file.name, file: file.file } satisfies ToWorker);
}

/** Prints a finished file as one block: its name and duration, then uvu's lines for it. */
function report(file: TestFile, output: string, counts: FileCounts, started: number, note?: string) {
  const seconds = (performance.now() - started) / 1000;
  results.push({ name: file.name, ...counts, seconds, note });
  const body = output
    .replace(/\n?\s*Total:\s+\d+\s*\n\s*Passed:\s+\d+\s*\n\s*Skipped:\s+\d+\s*\n\s*Duration:[^\n]*\n*/g, '\n')
    .replace(new RegExp(`^${escapeRegExp(file.name)}$`, 'm'), '')
    .replace(/^\n+|\s+$/g, '');
  const lines = [`${file.name}  (${seconds.toFixed(1)} s${file.alone ? ', alone' : ''})`];
  if (body) lines.push(body);
  if (note) lines.push(`  ${note}`);
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

let ended = false;
function finishRun() {
  if (ended) return;
  ended = true;
  // Files no worker could take (every worker failed to start) count as failed.
  for (const file of [...queue.splice(0), ...aloneQueue.splice(0)]) results.push({ name: file.name, passed: 0, failed: 1, skipped: 0, seconds: 0, note: 'not run: no worker left' });
  const summary = combineCounts(results);
  const failedFiles = results.filter((result) => result.failed > 0);
  const wall = (performance.now() - runStarted) / 1000;
  console.log(`  Files:     ${files.length} (${workersUsed} worker${workersUsed === 1 ? '' : 's'}${plan.alone.length ? `, ${plan.alone.length} run alone` : ''})`);
  console.log(`  Duration:  ${Math.floor(wall / 60)}m ${(wall % 60).toFixed(1)}s`);
  if (failedFiles.length > 0) {
    console.log('\nFailed:');
    for (const result of failedFiles) console.log(`  ${result.name}: ${result.failed} failed${result.note ? ` (${result.note})` : ''}`);
    console.log('');
  }
  if (writeTimings) saveTimings();
  if (summary.noneMatched) console.log('no tests matched');
  console.log(summaryLine(summary));
  process.exitCode = summary.failed > 0 ? 1 : 0;
}

function saveTimings() {
  const stored: Record<string, number> = { ...timings };
  const names = new Set(files.map((file) => file.name));
  // An unfiltered run knows every file: entries for files that are gone are dropped.
  if (!filter && dir === 'tests') for (const name of Object.keys(stored)) if (!names.has(name)) delete stored[name];
  for (const result of results) if (names.has(result.name)) stored[result.name] = Math.round(result.seconds * 10) / 10;
  const sorted = Object.fromEntries(Object.entries(stored).sort(([a], [b]) => a.localeCompare(b)));
  fs.writeFileSync(timingsPath, `${JSON.stringify(sorted, null, 2)}\n`);
  console.log(`timings written to ${path.relative(root, timingsPath)}`);
}

const workersUsed = files.length === 0 ? 0 : workerCount(process.env.TEST_WORKERS, files.length);
if (workersUsed === 0) finishRun();
for (let i = 0; i < workersUsed; i++) startWorker();
