// An account's weekly digest settings (docs/attention.md, "The weekly digest"): the weekday and
// local hour (in the account's time zone) it comes at, the kinds it opted out of, and which webhook
// and Slack channels take the `attention` event. They are kept on the row of the user whose id is
// the account's (docs/architecture.md "Accounts"), which is where the digest job reads them.
// Used by the API (digest-routes.ts) and the account page alike.
import type { Database } from '../db/database.ts';
import { listChannelAttention, selectDigestSettings, setChannelAttention, updateDigestSettings } from '../db/attention-digests.ts';
import { isUuid } from '../db/bots.ts';
import { findUserById } from '../db/users.ts';
import { ATTENTION_KINDS } from '../domain/attention.ts';
import { ATTENTION_KIND_LABELS, parseDigestSettings, WEEKDAY_NAMES, type DigestSettings, type DigestSettingsInput } from '../domain/attention-digest.ts';
import { NotFoundError, ValidationError } from '../errors.ts';

export interface DigestSettingsDeps {
  db: Database;
  now: () => Date;
}

/** The settings as the API answers them. */
export function digestSettingsJson(settings: DigestSettings, timezone: string, channels: Awaited<ReturnType<typeof listChannelAttention>>) {
  return {
    weekday: settings.weekday,
    hour: settings.hour,
    timezone,
    off: settings.off,
    channels: channels.map((c) => ({ id: c.id, kind: c.kind, name: c.name, attention_events: c.attention_events })),
  };
}

export function createDigestSettingsService({ db, now }: DigestSettingsDeps) {
  async function current(accountId: string): Promise<DigestSettings> {
    const settings = await selectDigestSettings(db, accountId);
    if (!settings) throw new NotFoundError('Account not found');
    return settings;
  }
  /** The account's time zone: its founding user's. */
  async function zoneOf(accountId: string): Promise<string> {
    const founder = await findUserById(db, accountId);
    if (!founder) throw new NotFoundError('Account not found');
    return founder.timezone;
  }
  return {
    async get(accountId: string) {
      const [settings, channels, zone] = await Promise.all([current(accountId), listChannelAttention(db, accountId), zoneOf(accountId)]);
      return digestSettingsJson(settings, zone, channels);
    },

    async update(accountId: string, input: DigestSettingsInput) {
      const parsed = parseDigestSettings(input, await current(accountId));
      if (!parsed.ok) throw new ValidationError(parsed.message);
      const saved = await updateDigestSettings(db, accountId, parsed.value, now());
      if (!saved) throw new NotFoundError('Account not found');
      return digestSettingsJson(saved, await zoneOf(accountId), await listChannelAttention(db, accountId));
    },

    /** Switches a webhook or Slack channel's `attention` event; 404 for another owner's channel or an email one. */
    async setChannel(userId: string, channelId: string, on: unknown) {
      if (typeof on !== 'boolean') throw new ValidationError('attention_events must be true or false');
      const row = isUuid(channelId) ? await setChannelAttention(db, userId, channelId, on, now()) : undefined;
      if (!row) throw new NotFoundError('No such webhook or Slack channel');
      return { id: row.id, kind: row.kind, name: row.name, attention_events: row.attention_events };
    },

    /** What the account page's form shows. */
    async form(accountId: string) {
      const settings = await current(accountId);
      return {
        timezone: await zoneOf(accountId),
        weekdays: WEEKDAY_NAMES.map((name, i) => ({ value: i + 1, name, selected: settings.weekday === i + 1 })),
        hours: Array.from({ length: 24 }, (_, hour) => ({ value: hour, label: `${String(hour).padStart(2, '0')}:00`, selected: settings.hour === hour })),
        kinds: ATTENTION_KINDS.map((kind) => ({ kind, label: ATTENTION_KIND_LABELS[kind], on: !settings.off.includes(kind) })),
      };
    },
  };
}

export type DigestSettingsService = ReturnType<typeof createDigestSettingsService>;
