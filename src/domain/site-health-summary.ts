// Plugin usage analytics for the operator (docs/observability.md, "Site health across the fleet"):
// connected sites by plugin, WordPress and PHP branch, WP-Cron mode and environment, and how many
// sites have each kind of attention item. Pure: grouped counts in, bounded lists out. The items
// are judged by the one rule set (attention.ts) on each group's facts, never re-stated here.
import { attentionItems, ATTENTION_KINDS, CRON_OVERDUE_AFTER_SECONDS, type AttentionContext, type AttentionKind } from './attention.ts';
import { branchOf } from './version-support.ts';
import { compareVersions } from './versions.ts';

/** Series per label at most: the most common values, the rest summed as "other". */
export const SITE_HEALTH_MAX_SERIES = 20;
export const OTHER = 'other';
/** A fact the site did not report (a 1.1 plugin): its own series, so the totals add up. */
export const UNKNOWN = 'unknown';

/** Connected sites sharing the same facts, as the database groups them. */
export interface SiteHealthGroup {
  plugin_version: string | null;
  /** The version's leading "major.minor" (any patch dropped by the query); branchOf normalises it. */
  wp_branch: string | null;
  php_branch: string | null;
  cron_mode: string | null;
  environment: string | null;
  /** Whether the oldest overdue event is more than CRON_OVERDUE_AFTER_SECONDS late. */
  cron_overdue: boolean;
  n: number;
}

export interface LabelCount {
  value: string;
  count: number;
}

export interface SiteHealthSummary {
  /** Connected sites counted. */
  sites: number;
  pluginBranches: LabelCount[];
  wpBranches: LabelCount[];
  phpBranches: LabelCount[];
  cronModes: LabelCount[];
  environments: LabelCount[];
  /** Sites with at least one item of each kind (every kind present, 0 when none). */
  attention: Record<AttentionKind, number>;
  /** Sites with any item. */
  needingAttention: number;
}

/** Most common first ("other" and "unknown" last); past maxSeries the least common are summed as "other". */
export function foldTop(counts: ReadonlyMap<string, number>, maxSeries = SITE_HEALTH_MAX_SERIES, versions = false): LabelCount[] {
  const tail = (value: string) => Number(value === OTHER || value === UNKNOWN);
  const ranked = [...counts]
    .filter(([, count]) => count > 0)
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => tail(a.value) - tail(b.value) || b.count - a.count || (versions ? compareVersions(b.value, a.value) : a.value.localeCompare(b.value)));
  if (ranked.length <= maxSeries) return ranked;
  const kept = ranked.slice(0, maxSeries - 1).filter((entry) => entry.value !== OTHER);
  const other = { value: OTHER, count: 0 };
  for (const entry of ranked) if (!kept.includes(entry)) other.count += entry.count;
  return [...kept, other];
}

/** The summary of the groups, items judged with the version tables and release in `context`. */
export function summarizeSiteHealth(groups: readonly SiteHealthGroup[], context: AttentionContext): SiteHealthSummary {
  const tallies = { plugin: new Map<string, number>(), wp: new Map<string, number>(), php: new Map<string, number>(), cron: new Map<string, number>(), env: new Map<string, number>() };
  const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);
  const branch = (version: string | null) => (version === null ? UNKNOWN : (branchOf(version) ?? OTHER));
  const attention = Object.fromEntries(ATTENTION_KINDS.map((kind) => [kind, 0])) as Record<AttentionKind, number>;
  let sites = 0;
  let needingAttention = 0;
  for (const group of groups) {
    sites += group.n;
    add(tallies.plugin, branch(group.plugin_version), group.n);
    add(tallies.wp, branch(group.wp_branch), group.n);
    add(tallies.php, branch(group.php_branch), group.n);
    add(tallies.cron, group.cron_mode ?? UNKNOWN, group.n);
    add(tallies.env, group.environment ?? UNKNOWN, group.n);
    const items = attentionItems(
      {
        is_active: true,
        wordpress_last_activity: context.now,
        wordpress_plugin_version: group.plugin_version,
        wordpress_plugin_version_since: null,
        wordpress_wp_version: group.wp_branch,
        wordpress_wp_version_since: null,
        wordpress_php_version: group.php_branch,
        wordpress_php_version_since: null,
        wordpress_cron_mode: group.cron_mode,
        wordpress_cron_mode_since: null,
        wordpress_cron_overdue_events: group.cron_overdue ? 1 : 0,
        wordpress_cron_oldest_overdue_seconds: group.cron_overdue ? CRON_OVERDUE_AFTER_SECONDS + 1 : 0,
        wordpress_environment: group.environment,
        wordpress_environment_since: null,
      },
      context,
    );
    for (const item of items) attention[item.kind] += group.n;
    if (items.length > 0) needingAttention += group.n;
  }
  return {
    sites,
    pluginBranches: foldTop(tallies.plugin, SITE_HEALTH_MAX_SERIES, true),
    wpBranches: foldTop(tallies.wp, SITE_HEALTH_MAX_SERIES, true),
    phpBranches: foldTop(tallies.php, SITE_HEALTH_MAX_SERIES, true),
    cronModes: foldTop(tallies.cron),
    environments: foldTop(tallies.env),
    attention,
    needingAttention,
  };
}
