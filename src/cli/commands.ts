// The CLI's commands as plain functions over the database: the `agentdesk` binary runs them
// directly, or forwards them to a running server that holds the embedded database.
import { parseArgs } from 'node:util';
import { createUserService } from '../accounts/user-service.ts';
import { createBotService } from '../bots/bot-service.ts';
import type { Database } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { ValidationError } from '../errors.ts';

export const USAGE = `Usage: agentdesk <command> [options]

Commands:
  create-user --email E --password P [--name N] [--timezone TZ] [--admin]
  create-bot --owner E --name N [--language L] [--welcome-message M]
  create-api-key --owner E
  migrate

Each command prints one JSON object on stdout. The database is DATABASE_URL, or the embedded
one under DATA_DIR (default ./data); while \`npm start\` runs on it, commands go through the server.`;

export interface CommandDeps {
  db: Database;
  now: () => Date;
}

type Options = Record<string, { type: 'string' | 'boolean' }>;

function parse(argv: string[], options: Options, required: string[]) {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new ValidationError((error as Error).message.replace(/\. To specify.*$/s, ''));
  }
  for (const name of required) {
    if (typeof values[name] !== 'string' || values[name] === '') throw new ValidationError(`--${name} is required`);
  }
  return values;
}

export async function runCommand(deps: CommandDeps, argv: string[]): Promise<Record<string, unknown>> {
  const [command, ...rest] = argv;
  const users = createUserService(deps);
  const bots = createBotService(deps);
  switch (command) {
    case 'create-user': {
      const v = parse(
        rest,
        { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, timezone: { type: 'string' }, admin: { type: 'boolean' } },
        ['email', 'password'],
      );
      const user = await users.createUser({
        email: v.email as string,
        password: v.password as string,
        name: v.name as string | undefined,
        timezone: v.timezone as string | undefined,
        admin: v.admin === true,
      });
      return { id: user.id, email: user.email, role: user.role };
    }
    case 'create-bot': {
      const v = parse(
        rest,
        { owner: { type: 'string' }, name: { type: 'string' }, language: { type: 'string' }, 'welcome-message': { type: 'string' } },
        ['owner', 'name'],
      );
      const { bot, token } = await bots.createBotForEmail(v.owner as string, {
        name: v.name,
        language: v.language,
        welcome_message: v['welcome-message'],
      });
      return { id: bot.id, name: bot.name, token, widget_key: bot.widget_key };
    }
    case 'create-api-key': {
      const v = parse(rest, { owner: { type: 'string' } }, ['owner']);
      return { key: await users.createApiKey(v.owner as string) };
    }
    case 'migrate': {
      parse(rest, {}, []);
      return { applied: await migrate(deps.db) };
    }
    default:
      throw new ValidationError(command ? `Unknown command "${command}".\n\n${USAGE}` : USAGE);
  }
}
