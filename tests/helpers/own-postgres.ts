// A private PostgreSQL server a test starts, stops and starts again itself (database fault tests).
// PostgreSQL refuses to run as root, so its commands run as the postgres user (runuser) when we are
// root; its data directory is a fresh temporary directory and it listens on a free local port.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './system.ts';

/** PG_BIN, or the newest Debian PostgreSQL installed (/usr/lib/postgresql/<major>/bin). */
export const PG_BIN = process.env.PG_BIN ?? newestDebianPostgres() ?? '/usr/lib/postgresql/15/bin';

function newestDebianPostgres(): string | undefined {
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  return majors.map((major) => path.join(root, major, 'bin')).find((bin) => fs.existsSync(path.join(bin, 'initdb')));
}

/** Why a private server cannot be started here, or undefined. */
export function missingPostgresBinaries(): string | undefined {
  return fs.existsSync(path.join(PG_BIN, 'initdb')) && fs.existsSync(path.join(PG_BIN, 'pg_ctl'))
    ? undefined
    : `PostgreSQL server binaries are not in ${PG_BIN} (apt-get install postgresql-15, or set PG_BIN)`;
}

export interface OwnPostgres {
  url: string;
  port: number;
  start(): Promise<void>;
  /** `fast` ends sessions cleanly; `immediate` is a crash (no shutdown checkpoint). Traffic goes on meanwhile. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server if running and removes its directory. */
  destroy(): void;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-pg-'));
  const dataDir = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const commandLine = (command: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, command), ...args]] : [path.join(PG_BIN, command), args];
  const run = async (command: string, args: string[]) => {
    await promisify(execFile)(...commandLine(command, args), { cwd: dir });
  };
  await run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  let running = false;
  const server: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await run('pg_ctl', ['-D', dataDir, '-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
      running = true;
    },
    async stop(mode = 'fast') {
      await run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    destroy() {
      if (running) execFileSync(...commandLine('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
