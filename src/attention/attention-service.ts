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

export function createAttentionService({ tables, latestPluginVersion, now }: AttentionServiceDeps) {
  return {
    itemsFor: (bot: AttentionFacts): AttentionItem[] => attentionItems(bot, { tables: tables.current(), latestPluginVersion, now: now() }),
    latestPluginVersion: () => latestPluginVersion,
    /** What the rules judge against now (the fleet's analytics judge grouped facts with it). */
    context: (): AttentionContext => ({ tables: tables.current(), latestPluginVersion, now: now() }),
  };
}

export type AttentionService = ReturnType<typeof createAttentionService>;

/** The JSON of an item, as GET /api/bots/:id and the list carry it. */
export function attentionToJson(item: AttentionItem) {
  return { kind: item.kind, detail: item.detail, next_step: item.next_step, since: item.since.toISOString() };
}
