// Starts the real service (`npm start`'s command line) as a child process on 127.0.0.1:0 and stops
// it again: for tests that need the process as production runs it (telemetry, Prometheus scrapes).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresDatabase } from './database.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  dataDir: string;
  /** Everything the process wrote to stdout so far (pino JSON lines and the banner). */
  stdout(): string;
  stderr(): string;
  /** SIGTERM (or the given signal), waits for the exit; removes DATA_DIR unless the caller gave it. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartServiceOptions {
  /** Run on the service's own embedded PostgreSQL (no DATABASE_URL) instead of a fresh test database. */
  embedded?: boolean;
  /** DATA_DIR to use and keep (restarts on the same data); default a temporary one, removed at stop. */
  dataDir?: string;
}

/**
 * Runs `node --import tsx --import ./src/telemetry.ts src/main.ts` with the given environment, on
 * a fresh database of the test run's PostgreSQL server, or with `embedded` on the PostgreSQL the
 * service starts itself in DATA_DIR (as `npm start` does with DATABASE_URL unset).
 */
export async function startService(env: Record<string, string> = {}, options: StartServiceOptions = {}): Promise<ServiceProcess> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-service-'));
  const databaseEnv: Record<string, string> = options.embedded ? {} : { DATABASE_URL: await createPostgresDatabase() };
  const child = spawnService({ DATA_DIR: dataDir, ...databaseEnv, ...env });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start in 60 s:\n${out}\n${err}`));
    }, 60_000);
    const check = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${out}\n${err}`));
    });
  });

  return {
    url,
    child,
    dataDir,
    stdout: () => out,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function spawnService(env: Record<string, string>): ChildProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => ['PATH', 'HOME', 'TMPDIR', 'LANG'].includes(key)),
  ) as Record<string, string>;
  return spawn(process.execPath, ['--import', 'tsx', '--import', './src/telemetry.ts', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...inherited, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the service on DATA_DIR's embedded PostgreSQL until it exits by itself (a start that must fail). */
export async function runServiceUntilExit(dataDir: string, env: Record<string, string> = {}) {
  const child = spawnService({ DATA_DIR: dataDir, ...env });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
