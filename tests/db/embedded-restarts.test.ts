// The embedded PostgreSQL across the service's restarts: stopped with the service on SIGTERM and
// SIGINT, recovered after Node is killed, and claimed by one service at a time.
import fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { embeddedPaths } from '../../src/db/embedded-postgres.ts';
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

test('after Node is killed (SIGKILL), the next start stops the orphaned PostgreSQL and serves the same data', async ({ dataDir }) => {
  let running = await service(dataDir);
  const email = await withDatabase(dataDir, async (db) => (await createOwner(db)).user.email);
  const orphan = postmasterPid(dataDir)!;
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
