// The CLI's commands as plain functions over the database, run by the `agentdesk` binary (src/cli.ts).
import { parseArgs } from 'node:util';
import { createUserService } from '../accounts/user-service.ts';
import { createBotService } from '../bots/bot-service.ts';
import type { Quotas } from '../domain/quotas.ts';
import type { Database } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { findUserByEmail } from '../db/users.ts';
import { parseEmail } from '../domain/email-address.ts';
import { formatReport, REPORT_FORMATS, reportJson, type ReportFormat } from '../reports/report-formats.ts';
import { createUptimeReports } from '../reports/uptime-reports.ts';

export const USAGE = `Usage: agentdesk <command> [options]

Commands:
  create-user --email E --password P [--name N] [--timezone TZ] [--admin]
  create-bot --owner E --name N [--language L] [--welcome-message M]
  create-api-key --owner E [--role owner|manager|member|viewer] [--name N] [--account ID]
  report --owner E --month YYYY-MM [--client ID | --bot ID] [--format json|csv|html]
  migrate

Each command prints one JSON object on stdout (report: in the format asked for). The database is DATABASE_URL, or the embedded
PostgreSQL under DATA_DIR (default ./data): the running service's, or started for the command.`;

export interface CommandDeps {
  db: Database;
  now: () => Date;
  /** The operator's per-owner limits (the CLI creates bots under the same ones as the API). */
  quotas: Quotas;
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

export type Command =
  | { name: 'create-user'; email: string; password: string; displayName?: string; timezone?: string; admin: boolean }
  | { name: 'create-bot'; owner: string; botName: string; language?: string; welcomeMessage?: string }
  | { name: 'create-api-key'; owner: string; role?: string; keyName?: string; account?: string }
  | { name: 'report'; owner: string; month: string; bot?: string; client?: string; format: ReportFormat }
  | { name: 'migrate' };

/** Checks the arguments without touching the database, so usage errors answer at once. */
export function parseCommand(argv: string[]): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case 'create-user': {
      const v = parse(
        rest,
        { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, timezone: { type: 'string' }, admin: { type: 'boolean' } },
        ['email', 'password'],
      );
      return {
        name: command,
        email: v.email as string,
        password: v.password as string,
        displayName: v.name as string | undefined,
        timezone: v.timezone as string | undefined,
        admin: v.admin === true,
      };
    }
    case 'create-bot': {
      const v = parse(
        rest,
        { owner: { type: 'string' }, name: { type: 'string' }, language: { type: 'string' }, 'welcome-message': { type: 'string' } },
        ['owner', 'name'],
      );
      return {
        name: command,
        owner: v.owner as string,
        botName: v.name as string,
        language: v.language as string | undefined,
        welcomeMessage: v['welcome-message'] as string | undefined,
      };
    }
    case 'create-api-key': {
      const v = parse(rest, { owner: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' }, account: { type: 'string' } }, ['owner']);
      return { name: command, owner: v.owner as string, role: v.role as string | undefined, keyName: v.name as string | undefined, account: v.account as string | undefined };
    }
    case 'report': {
      const v = parse(
        rest,
        { owner: { type: 'string' }, month: { type: 'string' }, bot: { type: 'string' }, client: { type: 'string' }, format: { type: 'string' } },
        ['owner', 'month'],
      );
      const format = (v.format ?? 'json') as ReportFormat;
      if (!REPORT_FORMATS.includes(format)) throw new ValidationError(`--format must be one of ${REPORT_FORMATS.join(', ')}`);
      return { name: command, owner: v.owner as string, month: v.month as string, bot: v.bot as string | undefined, client: v.client as string | undefined, format };
    }
    case 'migrate':
      parse(rest, {}, []);
      return { name: command };
    default:
      throw new ValidationError(command ? `Unknown command "${command}".\n\n${USAGE}` : USAGE);
  }
}

/** Where a result carries text to print as it is (a report asked for as CSV or HTML) instead of JSON. */
export const RAW_OUTPUT = Symbol('raw output');

export async function runCommand(deps: CommandDeps, command: Command): Promise<Record<string, unknown>> {
  switch (command.name) {
    case 'create-user': {
      const user = await createUserService(deps).createUser({
        email: command.email,
        password: command.password,
        name: command.displayName,
        timezone: command.timezone,
        admin: command.admin,
      });
      return { id: user.id, email: user.email, role: user.role };
    }
    case 'create-bot': {
      const { bot, token } = await createBotService(deps).createBotForEmail(command.owner, {
        name: command.botName,
        language: command.language,
        welcome_message: command.welcomeMessage,
      });
      return { id: bot.id, name: bot.name, token, widget_key: bot.widget_key };
    }
    case 'create-api-key':
      return { key: await createUserService(deps).createApiKey(command.owner, { role: command.role, name: command.keyName }, command.account) };
    case 'report': {
      const parsed = parseEmail(command.owner, 'owner');
      if (!parsed.ok) throw new ValidationError(parsed.message);
      const owner = await findUserByEmail(deps.db, parsed.value);
      if (!owner) throw new NotFoundError(`No user with email ${parsed.value}`);
      const report = await createUptimeReports(deps).forOwner(owner.id, command.month, { botId: command.bot, clientId: command.client });
      return command.format === 'json' ? reportJson(report) : { [RAW_OUTPUT]: formatReport(report, command.format) };
    }
    case 'migrate':
      return { applied: await migrate(deps.db) };
  }
}
