// The weekly "needs attention" digest job (docs/attention.md, "The weekly digest"), run by every
// instance at each sweep tick. For each owner whose chosen local weekday and hour came (less than a
// day ago) and who has no digest for this week yet:
//  1. judge the attention items of their sites (the same rules as the API and pages),
//  2. in one transaction: lock the owner's last digest, keep the kinds they did not opt out of, tell
//     new items from those the last digest listed too, record this week's list, and queue one mail
//     (the account email) plus one `attention` event per webhook or Slack channel switched on.
// Nothing to tell: the week is recorded, nothing is queued. Two instances: the row lock and the
// week's record make one of them decide; the outbox dedupe keys would refuse a second row anyway.
// Stale, recovery and reminder alerts never carry these items: the digest is its own outbox kind.
import type { Database } from '../db/database.ts';
import {
  enqueueDigest,
  lockDigestState,
  saveDigestState,
  selectAttentionChannels,
  selectDigestBots,
  selectDigestCandidates,
  type DigestBotRow,
} from '../db/attention-digests.ts';
import { attentionDigestKey } from '../domain/alert-keys.ts';
import { ATTENTION_KINDS } from '../domain/attention.ts';
import { digestOccurrence, digestPayload, planDigest, type DigestItem } from '../domain/attention-digest.ts';
import type { AttentionService } from './attention-service.ts';

/** How often an instance looks for due digests: they come on the hour, so a few minutes late is on time. */
export const DIGEST_JOB_INTERVAL_MS = 5 * 60_000;

export interface DigestJobDeps {
  db: Database;
  attention: Pick<AttentionService, 'itemsFor' | 'latestPluginVersion'>;
}

export interface DigestRunResult {
  /** Owners whose week was decided by this run. */
  decided: number;
  /** Mails queued (account email). */
  mails: number;
  /** Channel events queued (webhook, Slack). */
  events: number;
}

export function createDigestJob({ db, attention }: DigestJobDeps) {
  return {
    async run(now: Date): Promise<DigestRunResult> {
      const result: DigestRunResult = { decided: 0, mails: 0, events: 0 };
      const due = (await selectDigestCandidates(db, now, ATTENTION_KINDS.length)).flatMap((owner) => {
        const occurrence = digestOccurrence(owner, owner.timezone, now);
        return occurrence ? [{ ...owner, occurrence }] : [];
      });
      if (due.length === 0) return result;
      const ids = due.map((owner) => owner.id);
      const [bots, channels] = await Promise.all([selectDigestBots(db, ids), selectAttentionChannels(db, ids)]);
      const latest = attention.latestPluginVersion();
      for (const owner of due) {
        const own = bots.filter((bot) => bot.user_id === owner.id);
        const items: DigestItem[] = own.flatMap((bot: DigestBotRow) => attention.itemsFor(bot).map((item) => ({ ...item, botId: bot.id })));
        const sites = new Map(own.map((bot) => [bot.id, { name: bot.name, site_url: bot.wordpress_site_url }]));
        const queued = await db.transaction(async (tx) => {
          const last = await lockDigestState(tx, owner.id);
          if (last && last.occurrence.getTime() >= owner.occurrence.getTime()) return undefined;
          const plan = planDigest(items, owner.off, last?.items ?? [], latest);
          if (!(await saveDigestState(tx, owner.id, owner.occurrence, plan.keys, now))) return undefined;
          let mails = 0;
          let events = 0;
          if (plan.keys.length === 0) return { mails, events };
          const payload = digestPayload(plan, sites, owner.occurrence, latest);
          if (await enqueueDigest(tx, { dedupeKey: attentionDigestKey(owner.id, owner.occurrence), userId: owner.id, channelId: null, payload }, now)) mails++;
          for (const channel of channels.filter((c) => c.user_id === owner.id)) {
            const covered = channel.bot_ids ? new Set(channel.bot_ids) : undefined;
            const forChannel = digestPayload(plan, sites, owner.occurrence, latest, covered ? (id) => covered.has(id) : undefined);
            if (forChannel.new_items.length + forChannel.still_items.length === 0) continue;
            const row = { dedupeKey: attentionDigestKey(owner.id, owner.occurrence, channel.id), userId: owner.id, channelId: channel.id, payload: forChannel };
            if (await enqueueDigest(tx, row, now)) events++;
          }
          return { mails, events };
        });
        if (!queued) continue;
        result.decided++;
        result.mails += queued.mails;
        result.events += queued.events;
      }
      return result;
    },
  };
}

export type DigestJob = ReturnType<typeof createDigestJob>;
