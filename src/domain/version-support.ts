// The version tables attention items are judged against: which WordPress branches still get
// security fixes, and until when each PHP branch does. They ship with the service as data
// (releases/version-support.json, dated by its `as_of`) and an operator may serve a newer copy
// (RELEASES_URL); docs/attention.md says how to update them. Pure: JSON in, a checked table out.
import { compareVersions } from './versions.ts';

export interface PhpBranchSupport {
  /** "major.minor", such as "8.2". */
  branch: string;
  /** The last day (UTC) the PHP project ships security fixes for the branch. */
  securitySupportUntil: Date;
}

export interface VersionSupport {
  /** The day the table was last checked against its sources. */
  asOf: Date;
  wordpress: { latestBranch: string; oldestBranchWithSecurityFixes: string };
  /** Oldest branch first. */
  php: PhpBranchSupport[];
}

export type ParsedTable = { ok: true; value: VersionSupport } | { ok: false; message: string };

const BRANCH = /^\d{1,3}\.\d{1,3}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a table in the shape of releases/version-support.json; the message names what is wrong. */
export function parseVersionSupport(json: unknown): ParsedTable {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, message: 'the table must be a JSON object' };
  const table = json as Record<string, unknown>;
  if (typeof table.as_of !== 'string' || !DAY.test(table.as_of)) return { ok: false, message: 'as_of must be a date such as 2025-12-03' };
  const wordpress = table.wordpress as Record<string, unknown> | undefined;
  const latest = wordpress?.latest_branch;
  const oldest = wordpress?.oldest_branch_with_security_fixes;
  if (typeof latest !== 'string' || !BRANCH.test(latest)) return { ok: false, message: 'wordpress.latest_branch must be a branch such as 6.9' };
  if (typeof oldest !== 'string' || !BRANCH.test(oldest)) {
    return { ok: false, message: 'wordpress.oldest_branch_with_security_fixes must be a branch such as 4.7' };
  }
  if (!Array.isArray(table.php) || table.php.length === 0) return { ok: false, message: 'php must be a non-empty list of branches' };
  const php: PhpBranchSupport[] = [];
  for (const [index, row] of table.php.entries()) {
    const { branch, security_support_until: until } = (row ?? {}) as Record<string, unknown>;
    if (typeof branch !== 'string' || !BRANCH.test(branch)) return { ok: false, message: `php[${index}].branch must be a branch such as 8.2` };
    if (typeof until !== 'string' || !DAY.test(until)) return { ok: false, message: `php[${index}].security_support_until must be a date` };
    php.push({ branch, securitySupportUntil: endOfDay(until) });
  }
  php.sort((a, b) => compareVersions(a.branch, b.branch));
  return {
    ok: true,
    value: { asOf: new Date(`${table.as_of}T00:00:00Z`), wordpress: { latestBranch: latest, oldestBranchWithSecurityFixes: oldest }, php },
  };
}

/** A support date is the last day of support: it ends at the day's end, UTC. */
function endOfDay(day: string): Date {
  return new Date(`${day}T23:59:59.999Z`);
}

/** "8.2" from "8.2.36", "6.1" from "6.1" or "6.1.9-beta"; undefined when the version has no major.minor. */
export function branchOf(version: string): string | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version);
  return match ? `${Number(match[1])}.${Number(match[2])}` : undefined;
}

/** Of two tables, the one checked more recently (a copy from RELEASES_URL never replaces a newer one). */
export function newerTable(a: VersionSupport, b: VersionSupport): VersionSupport {
  return b.asOf.getTime() > a.asOf.getTime() ? b : a;
}
