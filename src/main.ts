// The service: read config → open database (starting the embedded PostgreSQL when DATABASE_URL is
// unset) → migrate → build app → listen → graceful stop. Whatever was opened is closed again on
// SIGTERM, SIGINT and on a start that fails half way, so no PostgreSQL outlives the service.
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DatabaseInUseError, type Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { openDatabase } from './db/open-database.ts';
import { createMetrics } from './metrics.ts';
import { startAlertJobs } from './alerts/alert-jobs.ts';
import { warnAboutEmailCollisions } from './accounts/email-collisions.ts';

/** Opened so far; closed by a start that fails. */
let opened: Database | undefined;

async function start() {
  const config = loadConfig();
  // The logger exists only once the app is built: the embedded server's notes wait for it.
  const notes: string[] = [];
  let note = (message: string): void => {
    notes.push(message);
  };
  const db = await openDatabase(config, {
    onError: (error) => console.error(`database connection error: ${error.message}`),
    log: (message) => note(message),
  });
  opened = db;
  const applied = await migrate(db);
  // Asked once here, before any request or job needs the answer (DATABASE_PREPARED=auto).
  const prepared = await db.preparedStatements();
  const metrics = createMetrics();
  // One clock for the app and the alert jobs.
  const now = () => new Date();
  const app = await buildApp({ config, db, metrics, now });
  const database = config.databaseUrl ? 'external' : 'embedded';
  for (const message of notes) app.log.info({ database }, message);
  // Later notes (prepared statements turned off on a pooler's refusal) go straight to the log.
  note = (message) => app.log.warn({ database }, message);
  app.log.info({ prepared: prepared.enabled }, `prepared statements ${prepared.enabled ? 'on' : 'off'}: ${prepared.reason}`);
  if (applied.length) app.log.info({ applied }, 'migrations applied');
  await warnAboutEmailCollisions(db, app.log);

  const alertJobs = await startAlertJobs({ db, config, metrics: app.alertMetrics, appMetrics: metrics, secret: app.serverSecret, log: app.log, now, attention: app.attention });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  console.log(
    [
      '',
      `AgentDesk is listening on http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
      `Database: ${db.description}`,
      `Dashboard: ${config.publicUrl}/ (${
        config.signup === 'closed' ? 'sign-up is closed: create users with the CLI' : config.signup === 'verify' ? 'sign up there; new accounts confirm their address by mail' : 'sign up there'
      })`,
      '',
      'Create your first user, a bot and an API key (in another terminal):',
      "  npx agentdesk create-user --email you@example.com --password 'choose-a-password'",
      "  npx agentdesk create-bot --owner you@example.com --name 'My site bot'",
      '  npx agentdesk create-api-key --owner you@example.com',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await app.close();
      await alertJobs.stop();
      await db.close();
    } finally {
      clearTimeout(force);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

start().catch(async (error: Error) => {
  if (error instanceof ConfigError || error instanceof DatabaseInUseError) {
    console.error(`agentdesk: ${error.message}`);
  } else {
    console.error('agentdesk: failed to start:', error);
  }
  await opened?.close().catch((closeError: Error) => console.error(`agentdesk: closing the database: ${closeError.message}`));
  process.exit(1);
});
