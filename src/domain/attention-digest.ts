// The weekly "needs attention" digest (docs/attention.md, "The weekly digest"): when an owner's
// digest is due, which items it lists (their opt-outs applied), and which of those are new since
// the last digest and which are still open. Pure: the owner's settings, the items and `now` in.
import { ATTENTION_KINDS, type AttentionItem, type AttentionKind } from './attention.ts';
import { runningOccurrences } from './maintenance.ts';

export interface DigestSchedule {
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  /** Local hour, 0–23, in the owner's time zone. */
  hour: number;
}

export const DEFAULT_DIGEST_SCHEDULE: DigestSchedule = { weekday: 1, hour: 9 };

/** A digest late by this much (the service was down all that time) is skipped: next week's comes. */
export const DIGEST_CATCH_UP_MS = 24 * 3_600_000;

export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/**
 * The start of this week's digest if it is due at `now`: the local weekday and hour in `zone` came
 * less than DIGEST_CATCH_UP_MS ago. Local wall time through DST as for weekly maintenance windows
 * (a skipped hour moves forward, a repeated one is its second instant).
 */
export function digestOccurrence(schedule: DigestSchedule, zone: string, now: Date): Date | undefined {
  const window = { weekday: schedule.weekday, startMinute: schedule.hour * 60, durationMinutes: DIGEST_CATCH_UP_MS / 60_000 };
  return runningOccurrences(window, zone, now)[0]?.startsAt;
}

export interface DigestSettingsInput {
  weekday?: unknown;
  hour?: unknown;
  off?: unknown;
}

export interface DigestSettings extends DigestSchedule {
  /** Kinds the owner never wants to hear about. */
  off: AttentionKind[];
}

type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/** An owner's digest settings (API and account page alike); absent fields keep `current`. */
export function parseDigestSettings(input: DigestSettingsInput, current: DigestSettings): Parsed<DigestSettings> {
  const value = { ...current, off: [...current.off] };
  if (input.weekday !== undefined) {
    const weekday = typeof input.weekday === 'string' && /^\d+$/.test(input.weekday) ? Number(input.weekday) : input.weekday;
    if (typeof weekday !== 'number' || !Number.isInteger(weekday) || weekday < 1 || weekday > 7) {
      return { ok: false, field: 'weekday', message: 'weekday must be an ISO weekday from 1 (Monday) to 7 (Sunday)' };
    }
    value.weekday = weekday;
  }
  if (input.hour !== undefined) {
    const hour = typeof input.hour === 'string' && /^\d+$/.test(input.hour) ? Number(input.hour) : input.hour;
    if (typeof hour !== 'number' || !Number.isInteger(hour) || hour < 0 || hour > 23) {
      return { ok: false, field: 'hour', message: 'hour must be a whole hour from 0 to 23, in your time zone' };
    }
    value.hour = hour;
  }
  if (input.off !== undefined) {
    const kinds = input.off;
    if (!Array.isArray(kinds) || !kinds.every((kind): kind is AttentionKind => (ATTENTION_KINDS as readonly unknown[]).includes(kind))) {
      return { ok: false, field: 'off', message: `off must be a list of attention kinds (${ATTENTION_KINDS.join(', ')})` };
    }
    value.off = ATTENTION_KINDS.filter((kind) => kinds.includes(kind));
  }
  return { ok: true, value };
}

/** One item of one site, as a digest lists it. */
export interface DigestItem extends AttentionItem {
  botId: string;
}

/**
 * What makes two items "the same" from one digest to the next: the site and the kind, and for
 * plugin_outdated the release it is behind (a newer release is news even to a site already behind).
 */
export function digestItemKey(item: Pick<DigestItem, 'botId' | 'kind'>, latestPluginVersion: string | undefined): string {
  return item.kind === 'plugin_outdated' ? `${item.botId}:${item.kind}:${latestPluginVersion ?? ''}` : `${item.botId}:${item.kind}`;
}

export interface DigestPlan {
  /** Items the last digest did not list. */
  fresh: DigestItem[];
  /** Items the last digest listed too. */
  still: DigestItem[];
  /** Every key listed, for the next digest to compare with. */
  keys: string[];
}

/**
 * Splits this week's items (opt-outs removed) into new and still open against the keys the last
 * digest listed. Empty `keys`: nothing to tell, no mail.
 */
export function planDigest(items: readonly DigestItem[], off: readonly AttentionKind[], previousKeys: readonly string[], latestPluginVersion: string | undefined): DigestPlan {
  const previous = new Set(previousKeys);
  const fresh: DigestItem[] = [];
  const still: DigestItem[] = [];
  const keys: string[] = [];
  for (const item of items) {
    if (off.includes(item.kind)) continue;
    const key = digestItemKey(item, latestPluginVersion);
    keys.push(key);
    (previous.has(key) ? still : fresh).push(item);
  }
  return { fresh, still, keys };
}

/** One item as the outbox row carries it (JSON), with its site. */
export interface DigestPayloadItem {
  bot_id: string;
  bot_name: string;
  site_url: string | null;
  kind: AttentionKind;
  detail: string;
  next_step: string;
  since: string;
}

/** The payload of an `attention` outbox row: the mail, a webhook event or a Slack message alike. */
export interface AttentionDigestPayload {
  occurrence: string;
  /** The plugin release the service serves, when some listed site runs an older one. */
  plugin_release: string | null;
  new_items: DigestPayloadItem[];
  still_items: DigestPayloadItem[];
}

/** The row's payload for the plan, `sites` naming each bot; `only` keeps the bots a channel covers. */
export function digestPayload(
  plan: DigestPlan,
  sites: ReadonlyMap<string, { name: string; site_url: string | null }>,
  occurrence: Date,
  latestPluginVersion: string | undefined,
  only?: (botId: string) => boolean,
): AttentionDigestPayload {
  const keep = (item: DigestItem) => !only || only(item.botId);
  const json = (item: DigestItem): DigestPayloadItem => ({
    bot_id: item.botId,
    bot_name: sites.get(item.botId)?.name ?? '',
    site_url: sites.get(item.botId)?.site_url ?? null,
    kind: item.kind,
    detail: item.detail,
    next_step: item.next_step,
    since: item.since.toISOString(),
  });
  const newItems = plan.fresh.filter(keep).map(json);
  const stillItems = plan.still.filter(keep).map(json);
  const outdated = [...newItems, ...stillItems].some((item) => item.kind === 'plugin_outdated');
  return { occurrence: occurrence.toISOString(), plugin_release: outdated ? (latestPluginVersion ?? null) : null, new_items: newItems, still_items: stillItems };
}

/** The words for a kind, in mails and settings ("Plugin out of date"). */
export const ATTENTION_KIND_LABELS: Record<AttentionKind, string> = {
  plugin_outdated: 'AgentDesk plugin out of date',
  wordpress_outdated: 'WordPress without security fixes',
  php_unsupported: 'PHP past its end of life',
  cron_disabled: 'WP-Cron turned off',
  cron_overdue: 'Scheduled tasks overdue',
  not_production: 'Not a production environment',
};
