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
      if (!fs.existsSync(adminSocketPath(config.dataDir))) throw new DatabaseInUseError(embeddedDatabaseDir(config), holder);
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
