// The zero-setup database as `npm start` runs it with DATABASE_URL unset: a real PostgreSQL in
// DATA_DIR/postgres, on a unix socket only, stopped with the service, recovered after a kill,
// claimed by one service at a time, and filled once from an earlier version's PGlite database.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkBinariesReachable, embeddedDatabaseUrl, embeddedPaths, LOG_ROTATE_BYTES, WATCHDOG_NAME } from '../../src/db/embedded-postgres.ts';
import { migrate, readMigrationFiles } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { openPgDatabase } from '../../src/db/pg-driver.ts';
import { createOwner } from '../helpers/app.ts';
import { runServiceUntilExit, startService } from '../helpers/service-process.ts';

const test = suite<{ dataDir: string }>('embedded PostgreSQL (npm start without DATABASE_URL)');
test.before.each((ctx) => {
  ctx.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-embedded-'));
});
test.after.each((ctx) => {
  fs.rmSync(ctx.dataDir, { recursive: true, force: true });
});

const service = (dataDir: string) => startService({ LOG_LEVEL: 'info' }, { embedded: true, dataDir });

/** The pid in DATA_DIR/postgres/postmaster.pid, if the file is there. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(embeddedPaths(dataDir).directory, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie waiting for a parent to reap it. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function withDatabase<T>(dataDir: string, fn: (db: ReturnType<typeof openPgDatabase>) => Promise<T>): Promise<T> {
  const db = openPgDatabase({ connectionString: embeddedDatabaseUrl(dataDir), poolSize: 1 });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const userExists = (dataDir: string, email: string) =>
  withDatabase(dataDir, async (db) => (await db.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount === 1);

/** Inodes of the sockets a process has open (Linux). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Inodes of every TCP socket on the machine, from /proc/net/tcp and tcp6 (column 10). */
function tcpInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').trim().split('\n').slice(1)) inodes.add(line.trim().split(/\s+/)[9]!);
  }
  return inodes;
}

test('runs PostgreSQL 18 in DATA_DIR/postgres, listening on a unix socket there and on no TCP port', async ({ dataDir }) => {
  const running = await service(dataDir);
  try {
    const pid = postmasterPid(dataDir)!;
    const settings = await withDatabase(dataDir, async (db) => {
      const { rows } = await db.query<{ version: string; listen: string; sockets: string }>(
        "SELECT current_setting('server_version_num') AS version, current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets",
      );
      return rows[0]!;
    });
    const ownSockets = socketInodes(pid);
    const tcp = tcpInodes();
    const unixListeners = fs.readFileSync('/proc/net/unix', 'utf8').split('\n').filter((line) => line.endsWith(embeddedPaths(dataDir).socket));
    // the banner names the embedded server and where its data is
    assert.match(running.stdout(), `Database: embedded PostgreSQL 18 in ${path.join(dataDir, 'postgres')}`);
    // a real PostgreSQL 18 with no TCP listen address and its socket in the data directory
    assert.ok(Number(settings.version) >= 180000, settings.version);
    assert.is(settings.listen, '');
    assert.is(settings.sockets, embeddedPaths(dataDir).directory);
    // the postmaster holds sockets, none of them TCP, and the socket file is a live unix listener
    assert.ok(ownSockets.size > 0);
    assert.equal([...ownSockets].filter((inode) => tcp.has(inode)), []);
    assert.ok(unixListeners.length > 0);
    // only its owner can reach the data directory and the socket in it
    assert.is(fs.statSync(embeddedPaths(dataDir).directory).mode & 0o777, 0o700);
  } finally {
    await running.stop();
  }
});

test('SIGTERM and SIGINT stop PostgreSQL with the service, and each restart finds the data', async ({ dataDir }) => {
  let running = await service(dataDir);
  const email = await withDatabase(dataDir, async (db) => (await createOwner(db)).user.email);
  const first = postmasterPid(dataDir)!;
  await running.stop('SIGTERM');
  // a clean exit, the server gone, DATA_DIR released
  assert.is(running.child.exitCode, 0, running.stderr());
  assert.not.ok(isRunning(first));
  assert.is(postmasterPid(dataDir), undefined);
  assert.not.ok(fs.existsSync(embeddedPaths(dataDir).lock));

  running = await service(dataDir);
  const kept = await userExists(dataDir, email);
  const second = postmasterPid(dataDir)!;
  await running.stop('SIGINT');
  // the user written before the restart is there
  assert.ok(kept);
  // and Ctrl-C stops everything the same way
  assert.is(running.child.exitCode, 0, running.stderr());
  assert.not.ok(isRunning(second));
  assert.not.ok(fs.existsSync(embeddedPaths(dataDir).lock));
});

/** The watchdog of DATA_DIR's server, found by its name and the data directory in its command line. */
function watchdogPid(dataDir: string): number | undefined {
  const directory = embeddedPaths(dataDir).directory;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes(WATCHDOG_NAME) && argv.includes(directory)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (condition()) return true;
  }
  return condition();
}

test('after Node is killed (SIGKILL), its watchdog stops PostgreSQL cleanly without waiting for a restart', async ({ dataDir }) => {
  let running = await service(dataDir);
  const email = await withDatabase(dataDir, async (db) => (await createOwner(db)).user.email);
  const server = postmasterPid(dataDir)!;
  const watchdog = watchdogPid(dataDir);
  // a watchdog runs beside the server
  assert.ok(watchdog);
  await running.stop('SIGKILL');
  // the server goes away by itself, through a fast (clean) shutdown, and the watchdog with it
  assert.ok(await waitUntil(() => !isRunning(server), 20_000), 'postgres still running 20 s after Node was killed');
  assert.match(fs.readFileSync(embeddedPaths(dataDir).logFile, 'utf8'), /received fast shutdown request/);
  assert.match(fs.readFileSync(embeddedPaths(dataDir).logFile, 'utf8'), /database system is shut down/);
  assert.ok(await waitUntil(() => !isRunning(watchdog!), 5_000));

  running = await service(dataDir);
  try {
    // the next start is an ordinary one, on the same data
    assert.not.match(running.stdout(), /left running by an AgentDesk process that ended abruptly/);
    assert.is((await fetch(`${running.url}/readyz`)).status, 200);
    assert.ok(await userExists(dataDir, email));
  } finally {
    await running.stop();
  }
  // a clean stop ends the watchdog too
  assert.is(watchdogPid(dataDir), undefined);
});

test('after Node and its watchdog are killed (SIGKILL), the next start stops the orphaned PostgreSQL and serves the same data', async ({ dataDir }) => {
  let running = await service(dataDir);
  const email = await withDatabase(dataDir, async (db) => (await createOwner(db)).user.email);
  const orphan = postmasterPid(dataDir)!;
  process.kill(watchdogPid(dataDir)!, 'SIGKILL');
  await running.stop('SIGKILL');
  // Node is gone and its PostgreSQL outlived it
  assert.ok(isRunning(orphan));

  running = await service(dataDir);
  try {
    const health = await fetch(`${running.url}/readyz`);
    // the orphan was stopped (and said so in the log), a new server runs on the same data
    assert.match(running.stdout(), /left running by an AgentDesk process that ended abruptly/);
    assert.not.ok(isRunning(orphan));
    assert.is.not(postmasterPid(dataDir), orphan);
    assert.is(health.status, 200);
    assert.ok(await userExists(dataDir, email));
  } finally {
    await running.stop();
  }
});

test('a second service on the same DATA_DIR exits with a clear "in use" message and the first keeps serving', async ({ dataDir }) => {
  const running = await service(dataDir);
  try {
    const second = await runServiceUntilExit(dataDir);
    const health = await fetch(`${running.url}/readyz`);
    // refused, naming the process that holds DATA_DIR
    assert.is(second.code, 1);
    assert.match(second.stderr, `in use by another AgentDesk process (pid ${running.child.pid})`);
    // the first service and its database are untouched
    assert.is(health.status, 200);
    assert.ok(isRunning(postmasterPid(dataDir)!));
  } finally {
    await running.stop();
  }
});

test('a postgres.log grown past its limit is moved aside at the next start, keeping one older log', async ({ dataDir }) => {
  const { logFile } = embeddedPaths(dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(`${logFile}.1`, 'the log before the last one\n');
  fs.writeFileSync(logFile, `the last log\n${'x'.repeat(LOG_ROTATE_BYTES)}`);
  const running = await service(dataDir);
  try {
    // the big log became postgres.log.1, replacing the older one; a new log was started
    assert.match(fs.readFileSync(`${logFile}.1`, 'utf8'), /^the last log\n/);
    assert.ok(fs.statSync(logFile).size < 1024 * 1024);
    assert.match(fs.readFileSync(logFile, 'utf8'), /database system is ready to accept connections/);
    assert.equal(fs.readdirSync(dataDir).filter((name) => name.startsWith('postgres.log')).sort(), ['postgres.log', 'postgres.log.1']);
  } finally {
    await running.stop();
  }
});

test('binaries below a directory others cannot enter are refused with a message naming it (root runs PostgreSQL as its own user)', ({ dataDir }) => {
  const project = path.join(dataDir, 'private-checkout');
  const postgres = path.join(project, 'node_modules', 'bin', 'postgres');
  fs.mkdirSync(path.dirname(postgres), { recursive: true });
  fs.writeFileSync(postgres, '');
  fs.chmodSync(dataDir, 0o755);
  fs.chmodSync(project, 0o700);
  // a checkout in a 0700 directory (mktemp -d, /root): the message names it and the ways out
  assert.throws(() => checkBinariesReachable({ postgres }), (error: Error) => error.message.includes(`cannot enter ${project} `) && /DATABASE_URL/.test(error.message));
  // searchable by others: fine
  fs.chmodSync(project, 0o755);
  checkBinariesReachable({ postgres });
});

test('a start that fails after PostgreSQL is up stops that PostgreSQL again', async ({ dataDir }) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    const result = await runServiceUntilExit(dataDir, { PORT: String(port) });
    const pgLog = fs.readFileSync(embeddedPaths(dataDir).logFile, 'utf8');
    // the service could not listen and said why
    assert.is(result.code, 1);
    assert.match(result.stderr, /EADDRINUSE/);
    // PostgreSQL had started, and was shut down before the process exited
    assert.match(pgLog, /database system is ready to accept connections/);
    assert.match(pgLog, /database system is shut down/);
    assert.is(postmasterPid(dataDir), undefined);
    assert.not.ok(fs.existsSync(embeddedPaths(dataDir).lock));
  } finally {
    taken.close();
  }
});

test.run();

// --- upgrading a DATA_DIR from an earlier version's PGlite database --------------------------

const upgrade = suite<{ dataDir: string }>('upgrade from an earlier PGlite DATA_DIR');
upgrade.before.each((ctx) => {
  ctx.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-pglite-upgrade-'));
});
upgrade.after.each((ctx) => {
  fs.rmSync(ctx.dataDir, { recursive: true, force: true });
});

/** Writes DATA_DIR/pglite as the earlier version left it: all but the newest migration applied, and rows. */
async function writePgliteDataDir(dataDir: string) {
  const { PGlite } = await import('@electric-sql/pglite');
  const files = readMigrationFiles();
  const older = files.slice(0, -1);
  const pglite = await PGlite.create(path.join(dataDir, 'pglite'));
  try {
    await pglite.exec('CREATE TABLE schema_migrations (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const file of older) {
      await pglite.exec(file.sql);
      await pglite.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [file.name, file.checksum]);
    }
    const user = await pglite.query<{ id: string }>("INSERT INTO users (email, password_hash) VALUES ('old@example.com', 'x') RETURNING id");
    const bot = await pglite.query<{ id: string }>(
      "INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key) VALUES ($1, 'Old bot', 'hash-1', 'bot_old', 'pub_old') RETURNING id",
      [user.rows[0]!.id],
    );
    for (let i = 0; i < 3; i++) {
      await pglite.query("INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason, details) VALUES ($1, now(), 'status', 'never', 'connected', 'heartbeat', '{\"n\": 1}')", [bot.rows[0]!.id]);
    }
    await pglite.query("INSERT INTO service_state (key, value) VALUES ('server_secret', 'kept-secret')");
  } finally {
    await pglite.close();
  }
  return { older, newest: files.at(-1)! };
}

upgrade('the first start copies the PGlite data into the embedded PostgreSQL once and keeps the old directory', async ({ dataDir }) => {
  const { newest } = await writePgliteDataDir(dataDir);
  const notes: string[] = [];
  const config = { databaseUrl: undefined, databasePoolSize: 2, dataDir };
  let db = await openDatabase(config, { log: (note) => notes.push(note) });
  try {
    const applied = await migrate(db);
    const { rows: bots } = await db.query<{ name: string; email: string }>('SELECT b.name, u.email FROM bots b JOIN users u ON u.id = b.user_id');
    const { rows: events } = await db.query<{ n: number; max: number }>('SELECT count(*) AS n, max(id) AS max FROM connection_events');
    const { rows: next } = await db.query<{ id: number }>(
      "INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason) SELECT id, now(), 'status', 'connected', 'stale', 'sweep' FROM bots RETURNING id",
    );
    const { rows: secret } = await db.query<{ value: string }>("SELECT value FROM service_state WHERE key = 'server_secret'");
    // the rows came over, with their relations
    assert.equal(bots, [{ name: 'Old bot', email: 'old@example.com' }]);
    assert.is(events[0]?.n, 3);
    // sequences continue after the copied ids, and the signing secret is the old one
    assert.is(next[0]?.id, events[0]!.max + 1);
    assert.is(secret[0]?.value, 'kept-secret');
    // the newer migration was applied on top of the PGlite schema
    assert.equal(applied, [newest.name]);
    // the PGlite directory is kept under a new name, and the log says what happened
    assert.not.ok(fs.existsSync(path.join(dataDir, 'pglite')));
    assert.ok(fs.existsSync(path.join(dataDir, 'pglite.migrated', 'PG_VERSION')));
    assert.ok(notes.some((note) => /upgraded from PGlite: \d+ rows/.test(note)), notes.join('\n'));
  } finally {
    await db.close();
  }

  // A second start does not copy again.
  notes.length = 0;
  db = await openDatabase(config, { log: (note) => notes.push(note) });
  try {
    const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM bots');
    assert.is(rows[0]?.n, 1);
    assert.not.ok(notes.some((note) => /PGlite/.test(note)));
  } finally {
    await db.close();
  }
});

upgrade('refuses to merge a PGlite directory into an embedded PostgreSQL that already has users', async ({ dataDir }) => {
  const config = { databaseUrl: undefined, databasePoolSize: 2, dataDir };
  const db = await openDatabase(config);
  await migrate(db);
  await createOwner(db);
  await db.close();
  await writePgliteDataDir(dataDir);
  const error = await openDatabase(config).catch((e: Error) => e);
  // a clear refusal naming both directories; nothing is left running
  assert.instance(error, Error);
  assert.match((error as Error).message, /will not merge them/);
  assert.match((error as Error).message, path.join(dataDir, 'pglite'));
  assert.is(postmasterPid(dataDir), undefined);
  assert.ok(fs.existsSync(path.join(dataDir, 'pglite', 'PG_VERSION')));
});

upgrade.run();
