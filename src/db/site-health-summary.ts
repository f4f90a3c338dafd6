// The connected sites grouped by the site-health facts their last heartbeat reported, for the
// operator's analytics (src/domain/site-health-summary.ts folds and judges them). One statement;
// versions are cut to their leading "major.minor" here only to keep the groups few (the domain's
// branchOf normalises them), and the cron lateness to "over the threshold or not".
// A scan of the connected bots: callers cache it (docs/observability.md, "Site health across the fleet").
import type { SiteHealthGroup } from '../domain/site-health-summary.ts';
import { effectiveStatusIs } from './bots.ts';
import type { Queryable } from './database.ts';

/** The leading "major.minor" of a version; '' for one without it (the domain counts it as "other"), null when not reported. */
const leadingBranch = (column: string) => `CASE WHEN ${column} IS NULL THEN NULL ELSE coalesce(substring(${column} FROM '^[0-9]+\\.[0-9]+'), '') END`;

export async function readSiteHealthGroups(db: Queryable, overdueAfterSeconds: number): Promise<SiteHealthGroup[]> {
  const { rows } = await db.query<SiteHealthGroup & { n: string }>(
    `SELECT nullif(b.wordpress_plugin_version, '') AS plugin_version,
            ${leadingBranch('b.wordpress_wp_version')} AS wp_branch,
            ${leadingBranch('b.wordpress_php_version')} AS php_branch,
            b.wordpress_cron_mode AS cron_mode, b.wordpress_environment AS environment,
            coalesce(b.wordpress_cron_oldest_overdue_seconds > $1, false) AS cron_overdue,
            count(*) AS n
     FROM bots b
     WHERE ${effectiveStatusIs('connected', 'b')}
     GROUP BY 1, 2, 3, 4, 5, 6`,
    [overdueAfterSeconds],
  );
  return rows.map((row) => ({ ...row, n: Number(row.n) }));
}
