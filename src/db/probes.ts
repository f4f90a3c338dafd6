// Plain SQL for site probes (docs/alerts.md "Nudge and probe"): the site_probes queue, the per-host limit, and the
// diagnosis columns on bots and alert_episodes. Sweep functions take the sweep's transaction.
import type { ProbeAnswer, ProbeResult } from '../domain/probe-diagnosis.ts';
import type { Queryable } from './database.ts';

export interface ProbeRow {
  id: number;
  bot_id: string;
  purpose: 'deadline' | 'reminder';
  last_activity: Date;
  episode_id: number | null;
  reminder: number | null;
  url: string | null;
  status: 'pending' | 'probing' | 'answered' | 'done';
  attempts: number;
  answer: ProbeAnswer | null;
  answered_at: Date | null;
  created_at: Date;
}

const PROBE_COLUMNS = 'id, bot_id, purpose, last_activity, episode_id, reminder, url, status, attempts, answer, answered_at, created_at';

export async function selectSiteUrls(tx: Queryable, botIds: readonly string[]): Promise<Map<string, string | null>> {
  if (botIds.length === 0) return new Map();
  const { rows } = await tx.query<{ id: string; site_url: string | null }>(
    'SELECT id, wordpress_site_url AS site_url FROM bots WHERE id = ANY($1::uuid[])',
    [botIds],
  );
  return new Map(rows.map((r) => [r.id, r.site_url]));
}

/**
 * Whether the sweep is checking this connected bot now: it queued a probe for the silence the bot
 * is in (its last activity) and has not judged it yet. The bot page says "checking" from this
 * stored decision, so it never re-derives a deadline the sweep did not reach.
 */
export async function isProbePending(db: Queryable, botId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM site_probes p JOIN bots b ON b.id = p.bot_id JOIN bot_liveness l ON l.bot_id = p.bot_id
     WHERE p.bot_id = $1 AND p.purpose = 'deadline' AND p.status <> 'done' AND b.connection_status = 'connected' AND b.is_active
       AND p.last_activity = date_trunc('milliseconds', l.last_activity)
     LIMIT 1`,
    [botId],
  );
  return rowCount > 0;
}

/** The unfinished deadline probes of these bots. */
export async function selectOpenDeadlineProbes(tx: Queryable, botIds: readonly string[]): Promise<ProbeRow[]> {
  if (botIds.length === 0) return [];
  const { rows } = await tx.query<ProbeRow>(
    `SELECT ${PROBE_COLUMNS} FROM site_probes WHERE bot_id = ANY($1::uuid[]) AND purpose = 'deadline' AND status <> 'done'`,
    [botIds],
  );
  return rows;
}

export interface NewProbe {
  botId: string;
  lastActivity: Date;
  url: string | null;
  episodeId?: number;
  reminder?: number;
}

/** Names "queueing site probes" for pg_advisory_xact_lock (insertProbes). */
const PROBE_QUEUE_LOCK = 7_402_113_050;

/** A probe exists for the same silence (deadline) or the same reminder of the episode (reminder). */
const SAME_PROBE = {
  deadline: "p.purpose = 'deadline' AND p.bot_id = t.bot_id AND p.last_activity = t.last_activity",
  reminder: "p.purpose = 'reminder' AND p.episode_id = t.episode_id AND p.reminder = t.reminder",
} as const;

/**
 * Queues probes; a probe that exists for the same silence (deadline) or the same reminder is kept
 * as it is. Returns the ids of the probes really queued. Run it inside a transaction: site_probes
 * is partitioned by day, so no unique index spans the days; queueing is serialised by a
 * transaction lock instead, and the check after it sees every probe committed before
 * (exact across instances, and safe through a transaction pooler).
 */
export async function insertProbes(tx: Queryable, purpose: 'deadline' | 'reminder', probes: readonly NewProbe[], incidentId: number | null, now: Date): Promise<number[]> {
  if (probes.length === 0) return [];
  await tx.query('SELECT pg_advisory_xact_lock($1)', [PROBE_QUEUE_LOCK]);
  const key = purpose === 'deadline' ? 't.bot_id, t.last_activity' : 't.episode_id, t.reminder';
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO site_probes (bot_id, purpose, last_activity, url, episode_id, reminder, incident_id, next_attempt_at, created_at)
     SELECT DISTINCT ON (${key}) t.bot_id, $6, t.last_activity, t.url, t.episode_id, t.reminder, $7, $8, $8
     FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::bigint[], $5::int[]) AS t(bot_id, last_activity, url, episode_id, reminder)
     WHERE NOT EXISTS (SELECT 1 FROM site_probes p WHERE ${SAME_PROBE[purpose]})
     RETURNING id`,
    [
      probes.map((p) => p.botId),
      probes.map((p) => p.lastActivity),
      probes.map((p) => p.url),
      probes.map((p) => p.episodeId ?? null),
      probes.map((p) => p.reminder ?? null),
      purpose,
      incidentId,
      now,
    ],
  );
  return rows.map((r) => r.id);
}

export async function tagProbesWithIncident(tx: Queryable, probeIds: readonly number[], incidentId: number): Promise<void> {
  if (probeIds.length === 0) return;
  await tx.query('UPDATE site_probes SET incident_id = $2 WHERE id = ANY($1::bigint[])', [probeIds, incidentId]);
}

export interface WokenProbeRow {
  id: number;
  bot_id: string;
  /** 'woke' when the nudge had gone out; 'cancelled' when the site reported before we sent it. */
  result: 'woke' | 'cancelled';
  answer: ProbeAnswer | null;
  answered_at: Date | null;
  reported_at: Date;
}

/**
 * Ends every unfinished deadline probe whose bot reported since the silence it was about (a newer
 * last activity) or left `connected` some other way. Returns them, for their events and counts.
 */
export async function finishReportedProbes(tx: Queryable, now: Date): Promise<WokenProbeRow[]> {
  const { rows } = await tx.query<WokenProbeRow>(
    `UPDATE site_probes p SET status = 'done', finished_at = $1, locked_until = NULL,
            result = CASE WHEN p.status = 'pending' THEN 'cancelled' ELSE 'woke' END
     FROM bots b JOIN bot_liveness l ON l.bot_id = b.id
     WHERE p.bot_id = b.id AND p.purpose = 'deadline' AND p.status <> 'done'
       AND (date_trunc('milliseconds', l.last_activity) > p.last_activity OR b.connection_status <> 'connected')
     RETURNING p.id, p.bot_id, p.result, p.answer, p.answered_at, l.last_activity AS reported_at`,
    [now],
  );
  return rows;
}

/** Marks the bots whose silence a nudge ended: their WP-Cron runs only on visits. */
export async function recordWokenBots(tx: Queryable, woken: ReadonlyArray<{ botId: string; probedAt: Date | null; event: object; at: Date }>): Promise<void> {
  if (woken.length === 0) return;
  await tx.query(
    `WITH t AS (SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::timestamptz[]) AS t(bot_id, probed_at, event, at)),
     bots_updated AS (
       UPDATE bots b SET probe_woke_at = t.at, last_probe_at = coalesce(t.probed_at, b.last_probe_at) FROM t WHERE b.id = t.bot_id
     )
     INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason, details)
     SELECT bot_id, at, 'probe', NULL, NULL, 'nudge_woke', event::jsonb FROM t`,
    [woken.map((w) => w.botId), woken.map((w) => w.probedAt), woken.map((w) => JSON.stringify(w.event)), woken.map((w) => w.at)],
  );
}

export interface JudgedProbe {
  botId: string;
  /** The episode the verdict belongs to (the flip's, or the reminder's). */
  episodeId: number;
  probeId: number | null;
  result: Exclude<ProbeResult, 'woke'>;
  detail: string;
  probedAt: Date | null;
  /** The `probe` connection event payload; null when no probe was made (PROBE=off). */
  event: object | null;
  at: Date;
}

/**
 * Writes verdicts: the bot's diagnosis (and when it was last probed), the episode's diagnosis, the
 * probe as done, and the `probe` connection event.
 */
export async function recordDiagnoses(tx: Queryable, judged: readonly JudgedProbe[]): Promise<void> {
  if (judged.length === 0) return;
  await tx.query(
    `WITH t AS (
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::timestamptz[])
         AS t(bot_id, episode_id, probe_id, result, detail, probed_at, event, at)
     ), bots_updated AS (
       UPDATE bots b SET diagnosis = t.result, diagnosis_detail = t.detail, last_probe_at = coalesce(t.probed_at, b.last_probe_at)
       FROM t WHERE b.id = t.bot_id
     ), episodes_updated AS (
       UPDATE alert_episodes ep SET diagnosis = t.result, diagnosis_detail = t.detail FROM t WHERE ep.id = t.episode_id
     ), probes_done AS (
       UPDATE site_probes p SET status = 'done', result = t.result, finished_at = t.at, locked_until = NULL FROM t WHERE p.id = t.probe_id
     )
     INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason, details)
     SELECT bot_id, at, 'probe', NULL, NULL, 'probe_' || result, event::jsonb FROM t WHERE event IS NOT NULL`,
    [
      judged.map((j) => j.botId),
      judged.map((j) => j.episodeId),
      judged.map((j) => j.probeId),
      judged.map((j) => j.result),
      judged.map((j) => j.detail),
      judged.map((j) => j.probedAt),
      judged.map((j) => (j.event ? JSON.stringify(j.event) : null)),
      judged.map((j) => j.at),
    ],
  );
}

/** The diagnosis each of these episodes ended with (for recovery mails). */
export async function selectEpisodeDiagnoses(tx: Queryable, episodeIds: readonly number[]): Promise<Map<number, { diagnosis: string | null; detail: string | null }>> {
  if (episodeIds.length === 0) return new Map();
  const { rows } = await tx.query<{ id: number; diagnosis: string | null; diagnosis_detail: string | null }>(
    'SELECT id, diagnosis, diagnosis_detail FROM alert_episodes WHERE id = ANY($1::bigint[])',
    [episodeIds],
  );
  return new Map(rows.map((r) => [r.id, { diagnosis: r.diagnosis, detail: r.diagnosis_detail }]));
}

/** The reminder probes of these episodes. */
export async function selectReminderProbes(tx: Queryable, episodeIds: readonly number[]): Promise<ProbeRow[]> {
  if (episodeIds.length === 0) return [];
  const { rows } = await tx.query<ProbeRow>(
    `SELECT ${PROBE_COLUMNS} FROM site_probes WHERE episode_id = ANY($1::bigint[]) AND purpose = 'reminder'`,
    [episodeIds],
  );
  return rows;
}

/** How the probes made during a storm incident turned out (for the operator). */
export async function probeBreakdown(tx: Queryable, incidentId: number): Promise<Array<{ result: string; count: number }>> {
  const { rows } = await tx.query<{ result: string; count: number }>(
    `SELECT coalesce(result, 'unfinished') AS result, count(*)::int AS count FROM site_probes
     WHERE incident_id = $1 GROUP BY 1 ORDER BY 2 DESC, 1`,
    [incidentId],
  );
  return rows;
}

/** The incident's probes not judged yet, but for `judgedNow` (the ones this sweep is about to judge). */
export async function countOpenIncidentProbes(tx: Queryable, incidentId: number, judgedNow: readonly number[] = []): Promise<number> {
  const { rows } = await tx.query<{ count: number }>(
    "SELECT count(*)::int AS count FROM site_probes WHERE incident_id = $1 AND status <> 'done' AND NOT (id = ANY($2::bigint[]))",
    [incidentId, judgedNow],
  );
  return rows[0]!.count;
}

// ---- the probe worker ----

/**
 * Claims up to `limit` probes that are due (pending and due, or probing with an expired lease: a
 * worker died mid-probe): status probing, a lease, one more attempt. SKIP LOCKED lets instances
 * claim disjoint probes.
 */
export async function claimDueProbes(db: Queryable, now: Date, leaseMs: number, limit: number): Promise<ProbeRow[]> {
  const { rows } = await db.query<ProbeRow>(
    `UPDATE site_probes p SET status = 'probing', locked_until = $1::timestamptz + $2 * interval '1 millisecond', attempts = p.attempts + 1
     FROM (SELECT id FROM site_probes
           WHERE (status = 'pending' AND next_attempt_at <= $1) OR (status = 'probing' AND locked_until <= $1)
           ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) due
     WHERE p.id = due.id
     RETURNING ${PROBE_COLUMNS.split(', ').map((c) => `p.${c}`).join(', ')}`,
    [now, leaseMs, limit],
  );
  return rows;
}

/**
 * Takes this host's slot for one probe if its last one is at least `intervalMs` old (or it has
 * none). Returns undefined when taken, else when the slot frees up.
 */
export async function claimHostSlot(db: Queryable, host: string, now: Date, intervalMs: number): Promise<Date | undefined> {
  const { rows } = await db.query<{ host: string }>(
    `INSERT INTO probe_hosts (host, last_probe_at) VALUES ($1, $2)
     ON CONFLICT (host) DO UPDATE SET last_probe_at = $2
       WHERE probe_hosts.last_probe_at <= $2::timestamptz - $3 * interval '1 millisecond'
     RETURNING host`,
    [host, now, intervalMs],
  );
  if (rows.length) return undefined;
  const { rows: last } = await db.query<{ last_probe_at: Date }>('SELECT last_probe_at FROM probe_hosts WHERE host = $1', [host]);
  return new Date((last[0]?.last_probe_at.getTime() ?? now.getTime()) + intervalMs);
}

/** Puts a claimed probe back to wait for its host's slot (not counted as an attempt). Fenced by attempt. */
export async function deferProbe(db: Queryable, id: number, attempt: number, until: Date): Promise<void> {
  await db.query(
    `UPDATE site_probes SET status = 'pending', next_attempt_at = $3, locked_until = NULL, attempts = attempts - 1
     WHERE id = $1 AND status = 'probing' AND attempts = $2`,
    [id, attempt, until],
  );
}

/** Records a probe's answer; false when its lease had run out and someone else owns it now. */
export async function recordProbeAnswer(db: Queryable, id: number, attempt: number, answer: ProbeAnswer, answeredAt: Date): Promise<boolean> {
  const result = await db.query(
    `UPDATE site_probes SET status = 'answered', answer = $3, answered_at = $4, locked_until = NULL
     WHERE id = $1 AND status = 'probing' AND attempts = $2`,
    [id, attempt, JSON.stringify(answer), answeredAt],
  );
  return result.rowCount > 0;
}

/**
 * Keeps the host slots bounded: slots older than an hour go. (Probes themselves go a day's
 * partition at a time after PROBE_HISTORY_DAYS: src/db/history-partitions.ts.)
 */
export async function pruneProbeHosts(db: Queryable, now: Date): Promise<void> {
  await db.query("DELETE FROM probe_hosts WHERE last_probe_at < $1::timestamptz - interval '1 hour'", [now]);
}
