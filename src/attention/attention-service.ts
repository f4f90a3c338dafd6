// Attention items for the owner's API and pages: the domain rules (src/domain/attention.ts) fed
// with the version tables in use, the plugin release this service serves, and the clock.
import { attentionItems, type AttentionContext, type AttentionFacts, type AttentionItem } from '../domain/attention.ts';
import type { VersionTables } from './version-tables.ts';

export interface AttentionServiceDeps {
  tables: VersionTables;
  /** The plugin release the service serves to the updater; undefined when its files are unreadable. */
  latestPluginVersion: string | undefined;
  now: () => Date;
}

/** Distinct heartbeat answers kept: sites share a few hundred combinations of versions, cron mode and environment. */
const ANSWER_CACHE_SIZE = 2000;

export function createAttentionService({ tables, latestPluginVersion, now }: AttentionServiceDeps) {
  // The heartbeat's answer depends only on the reported values (its items carry no `since`), so
  // sites reporting the same ones share it; emptied when full, and keyed on the table in use.
  const answers = new Map<string, HeartbeatAnswerItem[]>();
  let answersDay = -1;
  return {
    /**
     * The items for the answer to one heartbeat (docs/attention.md, "In WordPress"): kind, detail
     * and next step, judged on what that heartbeat said; the same for the same reported values.
     */
    answerFor(facts: AttentionFacts): HeartbeatAnswerItem[] {
      const table = tables.current();
      const key = [
        table.asOf.getTime(),
        facts.wordpress_plugin_version,
        facts.wordpress_wp_version,
        facts.wordpress_php_version,
        facts.wordpress_cron_mode,
        facts.wordpress_cron_overdue_events,
        facts.wordpress_cron_oldest_overdue_seconds,
        facts.wordpress_environment,
      ].join('\n');
      const cached = answers.get(key);
      // php_unsupported depends on the day too: a cached answer is good for the table and the day it was judged on.
      const day = Math.floor(now().getTime() / 86_400_000);
      if (cached && answersDay === day) return cached;
      if (answersDay !== day || answers.size >= ANSWER_CACHE_SIZE) answers.clear();
      answersDay = day;
      const items = attentionItems(facts, { tables: table, latestPluginVersion, now: now() }).map(({ kind, detail, next_step }) => ({ kind, detail, next_step }));
      answers.set(key, items);
      return items;
    },
    itemsFor: (bot: AttentionFacts): AttentionItem[] => attentionItems(bot, { tables: tables.current(), latestPluginVersion, now: now() }),
    latestPluginVersion: () => latestPluginVersion,
    /** What the rules judge against now (the fleet's analytics judge grouped facts with it). */
    context: (): AttentionContext => ({ tables: tables.current(), latestPluginVersion, now: now() }),
  };
}

export type AttentionService = ReturnType<typeof createAttentionService>;

/** One item as a heartbeat's answer carries it. */
export interface HeartbeatAnswerItem {
  kind: AttentionItem['kind'];
  detail: string;
  next_step: string;
}

/** The JSON of an item, as GET /api/bots/:id and the list carry it. */
export function attentionToJson(item: AttentionItem) {
  return { kind: item.kind, detail: item.detail, next_step: item.next_step, since: item.since.toISOString() };
}
