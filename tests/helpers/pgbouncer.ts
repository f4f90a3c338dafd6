// A real PgBouncer (Debian `pgbouncer`, 1.18 here) on a loopback port in front of the run's
// PostgreSQL, in transaction pooling, for the suites and the cluster benchmark that check the
// service behind a pooler (docs/SCALING.md). It refuses to run as root: as root it runs as the
// owner of the server's unix socket directory (the embedded server) or as `postgres`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, missingCommand } from './system.ts';

export const missingPgBouncer = () => missingCommand('pgbouncer', 'pgbouncer');

export interface PgBouncer {
  port: number;
  /** The URL of `database` through PgBouncer. */
  url(database: string): string;
  /** Everything PgBouncer logged so far. */
  log(): string;
  /** Stops it (SIGTERM: clients' connections drop); start() brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}

export interface PgBouncerOptions {
  /** Server connections per database and user (default 4). */
  poolSize?: number;
  /**
   * Hand out server connections in turn instead of the most recently used one: consecutive
   * transactions of one client then land on different server connections, as they do under load.
   */
  roundRobin?: boolean;
}


/** Resolves once something accepts TCP connections on the port (bounded). */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts PgBouncer in front of the PostgreSQL server of `serverUrl` (TCP or a unix socket directory). */
export async function startPgBouncer(serverUrl: string, options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const server = new URL(serverUrl);
  const socketDir = server.searchParams.get('host');
  const target = socketDir
    ? `host=${socketDir} port=${server.searchParams.get('port') ?? '5432'}`
    : `host=${server.hostname} port=${server.port || '5432'}`;
  const user = decodeURIComponent(server.username) || 'postgres';
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-pgbouncer-'));
  fs.chmodSync(dir, 0o755);
  const runAs = process.getuid?.() === 0 ? (socketDir ? ownerOf(socketDir) : 'postgres') : undefined;
  const ini = path.join(dir, 'pgbouncer.ini');
  fs.writeFileSync(path.join(dir, 'users.txt'), `"${user}" ""\n`, { mode: 0o644 });
  fs.writeFileSync(
    ini,
    [
      '[databases]',
      `* = ${target}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      // `pg` sends extra_float_digits; `options` is refused by PgBouncer unless ignored.
      'ignore_startup_parameters = extra_float_digits,options',
      `default_pool_size = ${options.poolSize ?? 4}`,
      `min_pool_size = ${options.poolSize ?? 4}`,
      `server_round_robin = ${options.roundRobin ? 1 : 0}`,
      'max_client_conn = 1000',
      'stats_period = 3600',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );

  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    const [command, args] = runAs ? ['runuser', ['-u', runAs, '--', 'pgbouncer', ini]] : ['pgbouncer', [ini]];
    const started = spawn(command, args as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    for (const stream of [started.stdout!, started.stderr!]) stream.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<never>((_, reject) => started.once('exit', (code) => reject(new Error(`pgbouncer exited with ${code}:\n${output}`))));
    exited.catch(() => {});
    await Promise.race([waitForPort(port), exited]);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await start();
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: (database: string) => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`,
    log: () => output,
    stop,
    start,
    async close() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The name of the user owning a path (the embedded server's system user). */
function ownerOf(file: string): string {
  return execFileSync('id', ['-nu', String(fs.statSync(file).uid)], { encoding: 'utf8' }).trim();
}
