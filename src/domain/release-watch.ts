// Release watch: how often sites on each plugin version are stale, against the rest of the fleet,
// with versions folded to major.minor and a bounded number of series (docs/observability.md,
// "Release watch"). Pure: counts in, gauge rows out.
import { branchOf } from './version-support.ts';
import { compareVersions } from './versions.ts';

/** Series per label at most: the top versions by sites, the rest summed as "other". */
export const RELEASE_WATCH_MAX_SERIES = 20;
export const OTHER = 'other';

export interface VersionStatusCount {
  /** The plugin version as reported ("1.2.0"). */
  version: string;
  status: 'connected' | 'stale';
  count: number;
}

export interface VersionSites {
  /** "1.2", or "other". */
  version: string;
  connected: number;
  stale: number;
}

/** "1.2" for "1.2.0" and "1.2.7-beta"; versions without major.minor count as "other". */
export function foldVersion(version: string): string {
  return branchOf(version) ?? OTHER;
}

/** Folds the counts to major.minor, keeps the most-used versions and sums the rest as "other". */
export function foldVersionCounts(rows: readonly VersionStatusCount[], maxSeries = RELEASE_WATCH_MAX_SERIES): VersionSites[] {
  const byVersion = new Map<string, VersionSites>();
  for (const row of rows) {
    const version = foldVersion(row.version);
    const sites = byVersion.get(version) ?? { version, connected: 0, stale: 0 };
    sites[row.status] += row.count;
    byVersion.set(version, sites);
  }
  const ranked = [...byVersion.values()].sort(
    (a, b) => Number(a.version === OTHER) - Number(b.version === OTHER) || b.connected + b.stale - (a.connected + a.stale) || compareVersions(b.version, a.version),
  );
  if (ranked.length <= maxSeries) return ranked;
  const kept = ranked.slice(0, maxSeries - 1).filter((sites) => sites.version !== OTHER);
  const other = { version: OTHER, connected: 0, stale: 0 };
  for (const sites of ranked.filter((s) => !kept.includes(s))) {
    other.connected += sites.connected;
    other.stale += sites.stale;
  }
  return [...kept, other];
}
