// `agentdesk <command>`: opens the configured database (or reaches the running server that holds
// the embedded one), runs one command, prints one JSON object; errors go to stderr, exit code 1.
import fs from 'node:fs';
import { loadConfig } from './config.ts';
import { DatabaseInUseError } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { embeddedDatabaseDir, openDatabase } from './db/open-database.ts';
import { embeddedDatabaseHolder } from './db/pglite-driver.ts';
import { adminSocketPath, forwardToServer } from './cli/admin-socket.ts';
import { parseCommand, runCommand, USAGE } from './cli/commands.ts';

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 1 : 0;
  }
  const command = parseCommand(argv);
  const config = loadConfig();

  if (!config.databaseUrl) {
    const holder = embeddedDatabaseHolder(embeddedDatabaseDir(config));
    if (holder !== undefined && holder !== process.pid) {
      if (!(await serverSocketReady(config.dataDir, embeddedDatabaseDir(config), holder))) {
        throw new DatabaseInUseError(embeddedDatabaseDir(config), holder);
      }
      print(await forwardToServer(config.dataDir, argv));
      return 0;
    }
  }

  const db = await openDatabase(config);
  try {
    if (command.name !== 'migrate') await migrate(db);
    print(await runCommand({ db, now: () => new Date() }, command));
    return 0;
  } finally {
    await db.close();
  }
}

/** How long a CLI command waits for a server that is still starting (opening PGlite takes seconds). */
const STARTING_SERVER_WAIT_MS = 60_000;

/**
 * True once the server holding the database has its admin socket. A server that took the lock in
 * the last minute may still be starting: wait for it rather than fail.
 */
async function serverSocketReady(dataDir: string, databaseDir: string, holder: number): Promise<boolean> {
  const socket = adminSocketPath(dataDir);
  if (fs.existsSync(socket)) return true;
  const lockAge = Date.now() - fs.statSync(`${databaseDir}.lock`).mtimeMs;
  if (lockAge > STARTING_SERVER_WAIT_MS) return false;
  process.stderr.write(`agentdesk: waiting for the server (pid ${holder}) to finish starting…\n`);
  const deadline = Date.now() + STARTING_SERVER_WAIT_MS - lockAge;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (fs.existsSync(socket)) return true;
  }
  return false;
}

function print(result: Record<string, unknown>) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
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
