// The embedded PostgreSQL across the service's restarts: stopped with the service on SIGTERM and
// SIGINT, stopped by its watchdog when Node is killed (or recovered by the next start when the
// watchdog died too), and claimed by one service at a time.
import fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { embeddedPaths, WATCHDOG_NAME } from '../../src/db/embedded-postgres.ts';
import { createOwner } from '../helpers/app.ts';
import { runServiceUntilExit } from '../helpers/service-process.ts';
import { isRunning, postmasterPid, service, userExists, withDataDir, withDatabase } from './embedded-data-dir.ts';

const test = suite<{ dataDir: string }>('embedded PostgreSQL across restarts');
withDataDir(test, 'agentdesk-embedded-');

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

test.run();
