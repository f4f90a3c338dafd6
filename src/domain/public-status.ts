// What a client's public status page and badge say about a site (docs/clients.md "Status
// pages"): one state in plain words, never a token, an owner or (unless allowed) an address.
// Pure: the caller passes the site's facts and `now`.
import type { ConnectionStatus } from './connection-status.ts';
import type { Diagnosis } from './probe-diagnosis.ts';

export type PublicState = 'up' | 'maintenance' | 'late' | 'down' | 'unmonitored';
export type BadgeState = 'up' | 'late' | 'down';

export const PUBLIC_STATE_WORDS: Record<PublicState, string> = {
  up: 'Operational',
  maintenance: 'Under planned maintenance',
  late: 'Late: being checked',
  down: 'Down',
  unmonitored: 'Not monitored',
};

/** What our probe found about a silent site, in words a client understands. */
export const DIAGNOSIS_WORDS: Record<Diagnosis, string> = {
  site_down: 'the website itself is not answering',
  plugin_silent: 'the website answers, but its AgentDesk plugin has stopped reporting',
  probe_blocked: 'our check of the website was blocked',
  not_probed: 'not checked yet',
};

/** A heartbeat is due every 5 minutes: after two missed ones a connected site shows as late. */
export const LATE_AFTER_MS = 11 * 60_000;

export interface PublicSiteFacts {
  status: ConnectionStatus;
  maintenanceUntil: Date | null;
  lastActivity: Date | null;
}

export function publicState(site: PublicSiteFacts, now: Date): PublicState {
  if (site.maintenanceUntil && site.maintenanceUntil > now) return 'maintenance';
  if (site.status === 'stale') return 'down';
  if (site.status !== 'connected') return 'unmonitored';
  if (site.lastActivity && now.getTime() - site.lastActivity.getTime() > LATE_AFTER_MS) return 'late';
  return 'up';
}

/** The badge of several sites: down if any is down, late if any is late, otherwise up. */
export function badgeState(states: readonly PublicState[]): BadgeState {
  if (states.includes('down')) return 'down';
  if (states.includes('late')) return 'late';
  return 'up';
}

export type DayBar = 'up' | 'partial' | 'down' | 'none';

/** One day's bar from that day's up and down seconds: mostly down (over half), some, none, or no data. */
export function dayBar(upSeconds: number, downSeconds: number): DayBar {
  if (upSeconds + downSeconds === 0) return 'none';
  if (downSeconds === 0) return 'up';
  return downSeconds * 2 > upSeconds + downSeconds ? 'down' : 'partial';
}
