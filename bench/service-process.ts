// Child processes for the benchmarks that drive the service as `npm start` runs it (and its
// baselines): started with their output in a file, ready once a line matches, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent, buildServer } from '../scripts/build-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `npm start`'s command line (package.json "start"), as arguments to node: the compiled service. */
export const SERVICE_ARGS = ['--import', './build/telemetry.js', 'build/main.js'];
/** The service's start banner, with the URL it listens on. */
export const SERVICE_READY = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/** Starts a child process and resolves with it once `ready` matches its output file. */
export async function startProcess(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; logFile: string }> {
  // As `npm start`'s prestart does: compile src/ first when build/ is missing or older.
  if (args.includes(SERVICE_ARGS.at(-1)!) && !buildIsCurrent()) buildServer();
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-')), 'out.log');
  const out = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const started = Date.now();
  while (Date.now() - started < 60_000) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited ${child.exitCode}:\n${fs.readFileSync(logFile, 'utf8')}`);
    const match = ready.exec(fs.readFileSync(logFile, 'utf8'));
    if (match) return { child, match, logFile };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${args.join(' ')} did not start in 60 s:\n${fs.readFileSync(logFile, 'utf8')}`);
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

