// One worker of tests/run.ts: a long-lived process that runs the test files it is sent one at a
// time with uvu, as uvu's own CLI would, and sends back each file's output and whether it failed.
// Files in one worker share the process as they did when uvu ran them all in one process: the
// run's database (tests/helpers/database.ts), module state, and the duty to close every server,
// pool and timer, or the worker never exits.
import { pathToFileURL } from 'node:url';
import { EXIT_GRACE_MS } from './run-plan.ts';

export type ToWorker = { type: 'run'; name: string; file: string } | { type: 'finish' };
export type FromWorker = { type: 'ready' } | { type: 'output'; text: string } | { type: 'done'; name: string; ok: boolean };

const send = (message: FromWorker) => process.send!(message);

// uvu queues suites for a CLI run (instead of running each at once) when this is set before it loads.
const uvuGlobals = globalThis as unknown as { UVU_DEFER: number; UVU_QUEUE: unknown[][]; UVU_INDEX: number };
uvuGlobals.UVU_DEFER = 1;
const uvu = await import('uvu');

// Everything the file prints (uvu's report, console.log, warnings) goes to the runner, which
// prints each file's output as one block when the file is done.
// After the last file (the channel closed), output goes to the worker's own streams, which the runner prints.
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    if (!process.connected) return write(chunk as never, encoding as never, callback as never);
    send({ type: 'output', text: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8') });
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => done());
    return true;
  }) as typeof stream.write;
}

async function leftOpen() {
  const open = process.getActiveResourcesInfo();
  // Two of the pipes are the worker's own stdout and stderr.
  for (const _ of [1, 2]) if (open.includes('PipeWrap')) open.splice(open.indexOf('PipeWrap'), 1);
  console.error(`still running ${EXIT_GRACE_MS / 1000} s after its last file, held open by: ${open.join(', ')} (a test left a server, pool, timer or child process open)`);
  const { cleanUpTestDatabases } = await import('./database.ts');
  await cleanUpTestDatabases().catch((error: unknown) => console.error(error));
  process.exit(1);
}

async function runFile(name: string, file: string): Promise<boolean> {
  // A fresh queue holding this file only, headed by its name, as uvu's CLI queues each file.
  uvuGlobals.UVU_QUEUE = [[name]];
  uvuGlobals.UVU_INDEX = 0;
  process.exitCode = 0;
  try {
    await import(pathToFileURL(file).href);
    await uvu.exec();
  } catch (error) {
    console.log(`\n  ${name} could not run:\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return false;
  }
  // uvu's exec sets exitCode 1 when a test failed.
  const ok = process.exitCode === 0;
  process.exitCode = 0;
  return ok;
}

let finishing = false;
// The runner itself is gone (killed): nobody will read the results, so drop the databases and stop.
process.on('disconnect', () => {
  if (finishing) return;
  void import('./database.ts').then(({ cleanUpTestDatabases }) => cleanUpTestDatabases()).finally(() => process.exit(1));
});

process.on('message', (message: ToWorker) => {
  if (message.type === 'finish') {
    finishing = true;
    // Without the channel the process exits once the files' servers, pools and timers are closed,
    // after the run's databases are dropped (tests/helpers/database.ts, on beforeExit).
    process.disconnect();
    // Something still open long after that would keep the worker (and the run) waiting forever:
    // name it, drop the databases anyway and fail. Unref'd, so it never holds the worker itself.
    setTimeout(() => void leftOpen(), EXIT_GRACE_MS).unref();
    return;
  }
  void runFile(message.name, message.file).then((ok) => send({ type: 'done', name: message.name, ok }));
});

send({ type: 'ready' });
