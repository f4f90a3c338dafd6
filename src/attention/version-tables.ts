// The version tables the attention rules judge against: the copy shipped in the repository
// (releases/version-support.json), replaced by the operator's copy at RELEASES_URL when that one
// is newer (its `as_of`). Fetching it never fails the service: an unreachable URL, a bad answer or
// a malformed table is logged and the table in use stays as it was.
import { readFileSync } from 'node:fs';
import { newerTable, parseVersionSupport, type VersionSupport } from '../domain/version-support.ts';

export const SHIPPED_TABLE_FILE = new URL('../../releases/version-support.json', import.meta.url);
/** How often RELEASES_URL is read again. */
export const RELEASES_REFRESH_MS = 24 * 3_600_000;
const FETCH_TIMEOUT_MS = 10_000;
const MAX_TABLE_BYTES = 256 * 1024;

/** The shipped table; a malformed one is a defect of the release, so it throws at start. */
export function loadShippedTable(file: URL = SHIPPED_TABLE_FILE): VersionSupport {
  const parsed = parseVersionSupport(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.ok) throw new Error(`${file.pathname}: ${parsed.message}`);
  return parsed.value;
}

export interface VersionTablesDeps {
  shipped: VersionSupport;
  releasesUrl: string | undefined;
  log: { warn(obj: object, msg: string): void };
}

export function createVersionTables({ shipped, releasesUrl, log }: VersionTablesDeps) {
  let current = shipped;
  let timer: NodeJS.Timeout | undefined;

  /** Reads RELEASES_URL once; true when a newer table was taken. Never throws. */
  async function refresh(): Promise<boolean> {
    if (!releasesUrl) return false;
    try {
      const response = await fetch(releasesUrl, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      if (text.length > MAX_TABLE_BYTES) throw new Error(`larger than ${MAX_TABLE_BYTES} bytes`);
      const parsed = parseVersionSupport(JSON.parse(text));
      if (!parsed.ok) throw new Error(parsed.message);
      const before = current;
      current = newerTable(current, parsed.value);
      return current !== before;
    } catch (error) {
      log.warn({ err: error, url: releasesUrl }, 'RELEASES_URL unusable: attention items keep the version tables in use');
      return false;
    }
  }

  return {
    current: (): VersionSupport => current,
    refresh,
    /** Reads RELEASES_URL now and once a day (no-op when unset). */
    start(): void {
      if (!releasesUrl || timer) return;
      void refresh();
      timer = setInterval(() => void refresh(), RELEASES_REFRESH_MS);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

export type VersionTables = ReturnType<typeof createVersionTables>;
