// The zero-setup database as `npm start` runs it with DATABASE_URL unset: a real PostgreSQL in
// DATA_DIR/postgres, on a unix socket only, its log kept in bounds, and stopped again when a start
// fails. Restarts and kills: embedded-restarts.test.ts; an earlier PGlite DATA_DIR: pglite-upgrade.test.ts.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkBinariesReachable, embeddedPaths, LOG_ROTATE_BYTES } from '../../src/db/embedded-postgres.ts';
import { runServiceUntilExit } from '../helpers/service-process.ts';
import { postmasterPid, service, withDataDir, withDatabase } from './embedded-data-dir.ts';

const test = suite<{ dataDir: string }>('embedded PostgreSQL (npm start without DATABASE_URL)');
withDataDir(test, 'agentdesk-embedded-');

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
