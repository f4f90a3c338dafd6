// `agentdesk <command>`: opens the configured database, runs one command, prints one JSON object;
// errors go to stderr, exit code 1. On the embedded database the CLI connects to the socket of the
// PostgreSQL that a running service started; with no service running it starts that PostgreSQL
// itself for the one command (and stops it again).
import { loadConfig, type Config } from './config.ts';
import { DatabaseInUseError, type Database } from './db/database.ts';
import { embeddedDatabaseUrl, embeddedServerHolder } from './db/embedded-postgres.ts';
import { migrate } from './db/migrate.ts';
import { openDatabase } from './db/open-database.ts';
import { openPgDatabase } from './db/pg-driver.ts';
import { parseCommand, RAW_OUTPUT, runCommand, USAGE } from './cli/commands.ts';

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 1 : 0;
  }
  const command = parseCommand(argv);
  const config = loadConfig();
  const db = await openCliDatabase(config);
  try {
    if (command.name !== 'migrate') await migrate(db);
    print(await runCommand({ db, now: () => new Date(), quotas: config.quotas }, command));
    return 0;
  } finally {
    await db.close();
  }
}

/** How long a command waits for a service that claimed DATA_DIR but whose PostgreSQL is not up yet. */
const STARTING_SERVER_WAIT_MS = 60_000;

async function openCliDatabase(config: Config): Promise<Database> {
  const holder = config.databaseUrl ? undefined : embeddedServerHolder(config.dataDir);
  if (!holder) return openDatabase(config, { log: (message) => process.stderr.write(`agentdesk: ${message}\n`) });

  const db = openPgDatabase({ connectionString: embeddedDatabaseUrl(config.dataDir), poolSize: 1, connectTimeoutMs: 2000 });
  const deadline = Date.now() + STARTING_SERVER_WAIT_MS - holder.claimedMsAgo;
  for (let attempt = 0; ; attempt++) {
    try {
      await db.query('SELECT 1');
      return db;
    } catch {
      // not started yet (no socket, or "the database system is starting up")
    }
    if (Date.now() >= deadline) break;
    if (attempt === 0) process.stderr.write(`agentdesk: waiting for the service (pid ${holder.pid}) to finish starting…\n`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await db.close();
  throw new DatabaseInUseError(config.dataDir, holder.pid);
}

function print(result: Record<string | symbol, unknown>) {
  const raw = result[RAW_OUTPUT];
  process.stdout.write(typeof raw === 'string' ? raw : `${JSON.stringify(result)}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`agentdesk: ${error.message}\n`);
    process.exitCode = 1;
  },
);
