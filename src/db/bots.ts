// Plain SQL for bots, their connection events and hourly heartbeat counts, and the bot and owner
// columns the alert statements share.
import { pastPosition, positionColumn, withPositions } from './keyset.ts';
import type { ListPosition } from '../domain/list-cursor.ts';
import { CONNECTION_STATUSES, type ConnectionStatus, type StoredStatus } from '../domain/connection-status.ts';
import { NO_SITE_HEALTH, type SiteHealth } from '../domain/heartbeat-input.ts';
import type { Queryable } from './database.ts';

export interface BotRow {
  id: string;
  user_id: string;
  /** The owner's client this site is grouped under (docs/clients.md); null: none. */
  client_id: string | null;
  name: string;
  description: string | null;
  token_prefix: string;
  widget_key: string;
  language: string;
  model: string;
  personality: string | null;
  welcome_message: string | null;
  is_active: boolean;
  is_trained: boolean;
  created_at: Date;
  updated_at: Date;
  wordpress_connected: boolean;
  wordpress_site_url: string | null;
  wordpress_plugin_version: string | null;
  wordpress_wp_version: string | null;
  wordpress_last_activity: Date | null;
  connection_status: StoredStatus;
  status_changed_at: Date | null;
  stale_grace_seconds: number;
  muted_until: Date | null;
  site_url_changed_at: Date | null;
  /** A second site reporting with this token while the first still reports (a copy), and when it last did. */
  wordpress_clone_url: string | null;
  wordpress_clone_seen_at: Date | null;
  /** The last probe's diagnosis (docs/alerts.md "Nudge and probe"); meaningful only while stale (see currentDiagnosis). */
  diagnosis: string | null;
  diagnosis_detail: string | null;
  last_probe_at: Date | null;
  /** The last time a nudge woke this silent site (its WP-Cron runs only on visits). */
  probe_woke_at: Date | null;
  /**
   * The one-off maintenance window's end as stored, possibly past: not whether the bot is in
   * maintenance now (weekly windows count too). That is MaintainedBot's maintenance_until.
   */
  one_off_maintenance_until: Date | null;
  maintenance_reason: string | null;
  /** Heartbeat 1.2's site-health facts, as the latest heartbeat reported them (null: not reported). */
  wordpress_php_version: string | null;
  wordpress_cron_mode: string | null;
  wordpress_cron_overdue_events: number | null;
  wordpress_cron_oldest_overdue_seconds: number | null;
  wordpress_environment: string | null;
  wordpress_multisite: boolean | null;
  /** Since when the site reports its current value of each (an attention item's "since"). */
  wordpress_plugin_version_since: Date | null;
  wordpress_wp_version_since: Date | null;
  wordpress_php_version_since: Date | null;
  wordpress_cron_mode_since: Date | null;
  wordpress_environment_since: Date | null;
}

/** Every column of bots but the token hash, which never leaves this module. */
const BOT_TABLE_COLUMNS = `id, user_id, name, description, token_prefix, widget_key, language, model, personality,
  welcome_message, is_active, is_trained, created_at, updated_at, wordpress_connected, wordpress_site_url,
  wordpress_plugin_version, wordpress_wp_version, connection_status, status_changed_at,
  stale_grace_seconds, muted_until, site_url_changed_at, wordpress_clone_url, wordpress_clone_seen_at, diagnosis, diagnosis_detail, last_probe_at, probe_woke_at,
  maintenance_until AS one_off_maintenance_until, maintenance_reason, wordpress_php_version, wordpress_cron_mode, wordpress_cron_overdue_events,
  wordpress_cron_oldest_overdue_seconds, wordpress_environment, wordpress_multisite, wordpress_plugin_version_since,
  wordpress_wp_version_since, wordpress_php_version_since, wordpress_cron_mode_since, wordpress_environment_since, client_id`
  .split(',')
  .map((column) => column.trim());

/**
 * The bot's last activity, from its liveness row (sql/280_bot_liveness.sql: a narrow table of its
 * own, so that a heartbeat reporting nothing new leaves the wide bots row alone); null before the
 * first heartbeat. `bot` names the bots row (a table name or alias).
 */
function lastActivitySql(bot: string): string {
  return `(SELECT l.last_activity FROM bot_liveness l WHERE l.bot_id = ${bot}.id)`;
}

/** Every column of BotRow, from a bots row named `bot` (a table name or alias). */
export function botColumns(bot: string): string {
  return [...BOT_TABLE_COLUMNS.map((column) => `${bot}.${column}`), `${lastActivitySql(bot)} AS wordpress_last_activity`].join(', ');
}

/** BotRow's columns in a statement on `bots` itself (SELECT … FROM bots, UPDATE bots … RETURNING). */
export const BOT_COLUMNS = botColumns('bots');

/**
 * The effective status of docs/contract.md "Connection status" (effectiveStatus in src/domain/connection-status.ts) as SQL over a
 * bots row: "disabled" when the bot is switched off, its stored status otherwise. "stale" is what
 * the sweep stored (it alone applies grace, the own-downtime rule and the check before calling a
 * site stale), never derived here from the clock, so every page and gauge counts alike.
 */
export function effectiveStatusSql(alias = 'bots'): string {
  return `CASE WHEN NOT ${alias}.is_active THEN 'disabled' ELSE ${alias}.connection_status END`;
}

/** The same rule as a WHERE condition an index can serve: the bots whose effective status is `status`. */
export function effectiveStatusIs(status: ConnectionStatus, alias = 'bots'): string {
  if (!CONNECTION_STATUSES.includes(status)) throw new Error(`unknown status ${status}`);
  return status === 'disabled' ? `${alias}.is_active = false` : `${alias}.is_active = true AND ${alias}.connection_status = '${status}'`;
}

export interface NewBot {
  userId: string;
  name: string;
  description?: string | null;
  language?: string;
  model?: string;
  personality?: string | null;
  welcomeMessage?: string | null;
  tokenHash: string;
  tokenPrefix: string;
  widgetKey: string;
}

export async function insertBot(db: Queryable, bot: NewBot): Promise<BotRow> {
  const { rows } = await db.query<BotRow>(
    `INSERT INTO bots (user_id, name, description, language, model, personality, welcome_message, token_hash, token_prefix, widget_key)
     VALUES ($1, $2, $3, COALESCE($4, 'en'), COALESCE($5, 'gpt-4o-mini'), $6, $7, $8, $9, $10)
     RETURNING ${BOT_COLUMNS}`,
    [
      bot.userId,
      bot.name,
      bot.description ?? null,
      bot.language ?? null,
      bot.model ?? null,
      bot.personality ?? null,
      bot.welcomeMessage ?? null,
      bot.tokenHash,
      bot.tokenPrefix,
      bot.widgetKey,
    ],
  );
  return rows[0]!;
}

export async function findBotByTokenHash(db: Queryable, tokenHash: string): Promise<BotRow | undefined> {
  const { rows } = await db.query<BotRow>(`SELECT ${BOT_COLUMNS} FROM bots WHERE token_hash = $1`, [tokenHash]);
  return rows[0];
}

export async function findBotByWidgetKey(db: Queryable, widgetKey: string): Promise<BotRow | undefined> {
  const { rows } = await db.query<BotRow>(`SELECT ${BOT_COLUMNS} FROM bots WHERE widget_key = $1`, [widgetKey]);
  return rows[0];
}

/** The bot if it belongs to this owner; another owner's bot is indistinguishable from a missing one. */
export async function findOwnedBot(db: Queryable, ownerId: string, botId: string): Promise<BotRow | undefined> {
  if (!isUuid(botId)) return undefined;
  const { rows } = await db.query<BotRow>(`SELECT ${BOT_COLUMNS} FROM bots WHERE id = $1 AND user_id = $2`, [botId, ownerId]);
  return rows[0];
}

export async function listOwnedBots(db: Queryable, ownerId: string): Promise<BotRow[]> {
  const { rows } = await db.query<BotRow>(`SELECT ${BOT_COLUMNS} FROM bots WHERE user_id = $1 ORDER BY created_at, id`, [
    ownerId,
  ]);
  return rows;
}

export interface HeartbeatWrite {
  tokenHash: string;
  siteUrl: string;
  pluginVersion: string;
  wpVersion: string;
  status: StoredStatus;
  reason: string;
  at: Date;
  /** Heartbeat 1.2's facts; absent (a 1.1 plugin) stores them as not reported. */
  health?: SiteHealth;
}

/** The bots column each reported fact is stored in, and the input column that carries it. */
const REPORTED_FACTS: ReadonlyArray<{ column: string; input: string; dated: boolean }> = [
  { column: 'wordpress_site_url', input: 'site_url', dated: false },
  { column: 'wordpress_plugin_version', input: 'plugin_version', dated: true },
  { column: 'wordpress_wp_version', input: 'wp_version', dated: true },
  { column: 'wordpress_php_version', input: 'php_version', dated: true },
  { column: 'wordpress_cron_mode', input: 'cron_mode', dated: true },
  { column: 'wordpress_cron_overdue_events', input: 'cron_overdue_events', dated: false },
  { column: 'wordpress_cron_oldest_overdue_seconds', input: 'cron_oldest_overdue_seconds', dated: false },
  { column: 'wordpress_environment', input: 'environment', dated: true },
  { column: 'wordpress_multisite', input: 'multisite', dated: false },
];

/**
 * Whether a heartbeat (input row `i`) changes the bots row `b`: its status or a reported fact
 * differs, or a fact that is reported has never been dated (its `_since`). Otherwise the heartbeat
 * writes only its liveness row and hourly count, and the wide bots row stays as it is.
 */
const HEARTBEAT_CHANGES_BOT = `(b.connection_status IS DISTINCT FROM i.status
  OR ${REPORTED_FACTS.map(({ column, input }) => `b.${column} IS DISTINCT FROM i.${input}`).join(' OR ')}
  OR ${REPORTED_FACTS.filter((fact) => fact.dated)
    .map(({ column, input }) => `(i.${input} IS NOT NULL AND b.${column}_since IS NULL)`)
    .join(' OR ')})`;

/**
 * `column_since` after a heartbeat reporting `value` for `column`: kept while the value stays the
 * same, the heartbeat's time when it changes (or was never dated), NULL when nothing is reported.
 */
function sinceSql(column: string, value: string): string {
  return `CASE WHEN ${value} IS NULL THEN NULL
    WHEN b.${column} IS DISTINCT FROM ${value} OR b.${column}_since IS NULL THEN bot.at ELSE b.${column}_since END`;
}

export interface HeartbeatWriteOptions {
  /**
   * STALE_AFTER: a heartbeat from another site URL while the bot's own site reported within this
   * (plus the bot's grace) comes from a copy of the site. It is recorded as the bot's clone and
   * changes nothing else, so the site URL does not flip between the two. Absent: every new URL is
   * taken as the site's new address.
   */
  staleAfterMs?: number;
}

export interface HeartbeatOutcome {
  botId: string;
  isActive: boolean;
}

/**
 * Records a batch of heartbeats (at most one per token) in a single statement, so the whole batch
 * commits atomically with one round trip and one WAL flush:
 *   1. lock the bots named by the tokens, in id order (concurrent batches cannot deadlock);
 *   2. update their WordPress fields (site-health facts and their "since" included) and status,
 *      only where one of them changes (disabled bots are left untouched);
 *   3. write a status event only where the status really changes, a site_url_changed event where
 *      the URL differs from the last one;
 *   4. move their last activity (bot_liveness) and bump the hourly heartbeat counts.
 * A steady-state heartbeat (nothing new to tell) therefore writes only the two narrow rows, each a
 * HOT update (sql/280_bot_liveness.sql, docs/SCALING.md).
 * A heartbeat from a copy of the site (HeartbeatWriteOptions) only records the copy's URL and time
 * (and a site_clone event the first time that URL is seen).
 * Returns the outcome per token hash; a token with no bot is absent from the map.
 */
export async function recordHeartbeats(
  db: Queryable,
  writes: readonly HeartbeatWrite[],
  options: HeartbeatWriteOptions = {},
): Promise<Map<string, HeartbeatOutcome>> {
  const { rows } = await db.query<{ token_hash: string; id: string; is_active: boolean }>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
                            $8::text[], $9::text[], $10::int[], $11::int[], $12::text[], $13::boolean[])
         AS i(token_hash, site_url, plugin_version, wp_version, status, reason, at,
              php_version, cron_mode, cron_overdue_events, cron_oldest_overdue_seconds, environment, multisite)
     ), bot AS (
       SELECT b.id, b.is_active, b.connection_status, b.wordpress_site_url, b.wordpress_clone_url, i.*,
              coalesce($14::double precision IS NOT NULL AND b.wordpress_site_url <> i.site_url AND b.connection_status = 'connected'
                AND l.last_activity > i.at - make_interval(secs => $14::double precision + b.stale_grace_seconds), false) AS clone,
              ${HEARTBEAT_CHANGES_BOT} AS changes_bot
       FROM bots b JOIN input i ON i.token_hash = b.token_hash LEFT JOIN bot_liveness l ON l.bot_id = b.id
       ORDER BY b.id
       FOR UPDATE OF b
     ), clone_seen AS (
       UPDATE bots b SET wordpress_clone_url = bot.site_url, wordpress_clone_seen_at = bot.at
       FROM bot WHERE b.id = bot.id AND bot.is_active AND bot.clone
       RETURNING b.id
     ), clone_event AS (
       INSERT INTO connection_events (bot_id, occurred_at, kind, reason, details)
       SELECT bot.id, bot.at, 'site_clone', 'heartbeat_from_copy',
              jsonb_build_object('site_url', bot.wordpress_site_url, 'copy', bot.site_url)
       FROM bot JOIN clone_seen ON clone_seen.id = bot.id WHERE bot.wordpress_clone_url IS DISTINCT FROM bot.site_url
     ), updated AS (
       UPDATE bots b SET
         -- On the right-hand side b.* is the row as it was before this heartbeat.
         ${REPORTED_FACTS.filter((fact) => fact.dated)
           .map(({ column, input }) => `${column}_since = ${sinceSql(column, `bot.${input}`)},`)
           .join('\n')}
         ${REPORTED_FACTS.map(({ column, input }) => `${column} = bot.${input},`).join('\n')}
         connection_status = bot.status,
         wordpress_connected = (bot.status = 'connected'),
         status_changed_at = CASE WHEN bot.connection_status <> bot.status THEN bot.at ELSE b.status_changed_at END,
         site_url_changed_at = CASE WHEN bot.wordpress_site_url <> bot.site_url THEN bot.at ELSE b.site_url_changed_at END
       FROM bot WHERE b.id = bot.id AND bot.is_active AND NOT bot.clone AND bot.changes_bot
       RETURNING b.id
     ), status_event AS (
       INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason)
       SELECT bot.id, bot.at, 'status', bot.connection_status, bot.status, bot.reason
       FROM bot JOIN updated ON updated.id = bot.id WHERE bot.connection_status <> bot.status
     ), url_event AS (
       INSERT INTO connection_events (bot_id, occurred_at, kind, reason, details)
       SELECT bot.id, bot.at, 'site_url_changed', 'heartbeat_from_new_site_url',
              jsonb_build_object('from', bot.wordpress_site_url, 'to', bot.site_url)
       FROM bot JOIN updated ON updated.id = bot.id WHERE bot.wordpress_site_url <> bot.site_url
     ), liveness AS (
       INSERT INTO bot_liveness (bot_id, last_activity, connected)
       SELECT bot.id, bot.at, bot.status = 'connected' FROM bot WHERE bot.is_active AND NOT bot.clone
       ON CONFLICT (bot_id) DO UPDATE SET last_activity = excluded.last_activity
     ), hourly AS (
       INSERT INTO heartbeat_hours (bot_id, hour, count)
       SELECT bot.id, date_trunc('hour', bot.at, 'UTC'), 1 FROM bot WHERE bot.is_active AND NOT bot.clone
       ON CONFLICT (bot_id, hour) DO UPDATE SET count = heartbeat_hours.count + 1
     )
     SELECT token_hash, id, is_active FROM bot`,
    [
      writes.map((w) => w.tokenHash),
      writes.map((w) => w.siteUrl),
      writes.map((w) => w.pluginVersion),
      writes.map((w) => w.wpVersion),
      writes.map((w) => w.status),
      writes.map((w) => w.reason),
      writes.map((w) => w.at),
      ...healthColumns(writes),
      options.staleAfterMs === undefined ? null : options.staleAfterMs / 1000,
    ],
    // Prepared once per connection: planning this statement cost more PostgreSQL CPU than running
    // it for a small batch (docs/SCALING.md).
    { name: 'record_heartbeats' },
  );
  return new Map(rows.map((row) => [row.token_hash, { botId: row.id, isActive: row.is_active }]));
}

/** The six arrays of heartbeat 1.2's facts, in the statement's order ($8 to $13). */
function healthColumns(writes: readonly HeartbeatWrite[]): unknown[][] {
  const health = writes.map((w) => w.health ?? NO_SITE_HEALTH);
  return [
    health.map((h) => h.phpVersion),
    health.map((h) => h.cron?.mode ?? null),
    health.map((h) => h.cron?.overdueEvents ?? null),
    health.map((h) => h.cron?.oldestOverdueSeconds ?? null),
    health.map((h) => h.environment),
    health.map((h) => h.multisite),
  ];
}


export interface ConnectionEventRow {
  id: number;
  bot_id: string;
  occurred_at: Date;
  kind: 'status' | 'site_url_changed' | 'probe' | 'site_clone';
  from_status: string | null;
  to_status: string | null;
  reason: string;
  details: Record<string, unknown> | null;
}

export async function listConnectionEvents(db: Queryable, botId: string, limit = 50): Promise<ConnectionEventRow[]> {
  const { rows } = await db.query<ConnectionEventRow>(
    'SELECT * FROM connection_events WHERE bot_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2',
    [botId, limit],
  );
  return rows;
}

/**
 * Up to `limit` of the bot's events before `before`, newest first, each with its position (the
 * API's paged event list; the cursor's id is the event's, as text).
 */
export async function listConnectionEventsBefore(
  db: Queryable,
  botId: string,
  page: { before?: ListPosition; limit: number },
): Promise<Array<{ event: ConnectionEventRow; position: ListPosition }>> {
  const params: unknown[] = [botId, page.limit];
  const past = pastPosition(params, 'occurred_at', page.before, '<', 'bigint');
  const { rows } = await db.query<ConnectionEventRow & { list_position_us: string }>(
    `SELECT id, bot_id, occurred_at, kind, from_status, to_status, reason, details, ${positionColumn('occurred_at')}
     FROM connection_events WHERE bot_id = $1 ${past} ORDER BY occurred_at DESC, id DESC LIMIT $2`,
    params,
  );
  return withPositions(rows).map(({ row, position }) => ({ event: row, position }));
}

/** The bot and owner facts an alert mail needs, and whether they may be mailed at all. */
export interface AlertBotRow {
  bot_id: string;
  user_id: string;
  name: string;
  site_url: string | null;
  plugin_version: string | null;
  is_active: boolean;
  muted_until: Date | null;
  alert_emails: boolean;
}

/**
 * The columns of AlertBotRow but bot_id (each statement names its own), from a bots row aliased
 * `bot` and its owner's users row aliased `owner`: one list for every alert statement.
 */
export function alertBotColumns(bot: string, owner: string): string {
  return `${bot}.user_id, ${bot}.name, ${bot}.wordpress_site_url AS site_url, ${bot}.wordpress_plugin_version AS plugin_version,
          ${bot}.is_active, ${bot}.muted_until, ${owner}.alert_emails`;
}

/**
 * "May we notify" (mayNotify in src/domain/alert-rules.ts) over a bots row aliased `bot` and its
 * owner's users row aliased `owner`, at `now` (an SQL expression): the bot is on, not muted, and
 * its owner takes alert emails. Channel coverage is the router's (covers() in channel-routing.ts).
 */
export function mayNotifySql(bot: string, owner: string, now: string): string {
  return `(${bot}.is_active AND ${owner}.alert_emails AND (${bot}.muted_until IS NULL OR ${bot}.muted_until <= ${now}))`;
}

export async function countConnectedBots(tx: Queryable): Promise<number> {
  const { rows } = await tx.query<{ count: number }>("SELECT count(*)::int AS count FROM bots WHERE connection_status = 'connected'");
  return rows[0]!.count;
}

export interface StaleCandidateRow {
  id: string;
  last_activity: Date;
  grace_seconds: number;
}

/**
 * Connected bots silent since before the cutoff: one scan of the narrow liveness rows (no index
 * holds last activity: sql/280_bot_liveness.sql), then the few candidates' bots rows by key.
 */
export async function selectStaleCandidates(tx: Queryable, cutoff: Date): Promise<StaleCandidateRow[]> {
  const { rows } = await tx.query<StaleCandidateRow>(
    `SELECT l.bot_id AS id, l.last_activity, b.stale_grace_seconds AS grace_seconds
     FROM bot_liveness l JOIN bots b ON b.id = l.bot_id
     WHERE l.connected AND l.last_activity < $1`,
    [cutoff],
  );
  return rows;
}

/**
 * The one mute rule, for the dashboard's mute menu and the mute link in alert mails alike: a mute
 * until `until` never shortens a longer mute still running (a second "mute 24 h" click must not
 * cut a week's mute short); null unmutes. Returns the bot afterwards, or undefined when the owner
 * has no such bot.
 */
export async function muteOwnedBot(db: Queryable, ownerId: string, botId: string, until: Date | null, now: Date): Promise<BotRow | undefined> {
  if (!isUuid(botId)) return undefined;
  // greatest() ignores a NULL muted_until, so an unmuted bot takes `until` as it is.
  const { rows } = await db.query<BotRow>(
    `UPDATE bots SET muted_until = CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE greatest(muted_until, $3) END, updated_at = $4
     WHERE id = $1 AND user_id = $2 RETURNING ${BOT_COLUMNS}`,
    [botId, ownerId, until, now],
  );
  return rows[0];
}

export async function findBotName(db: Queryable, ownerId: string, botId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM bots WHERE id = $1 AND user_id = $2', [botId, ownerId]);
  return rows[0]?.name;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
