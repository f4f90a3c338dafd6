// Alert groups (docs/alerts.md "Alert groups"): which mail a site's alert travels in when an owner's sites fall silent
// (or come back) spread over a few minutes. Pure: the times the sweep stores (keys: alert-keys.ts), and which
// channel rows may be grouped at all.

import { isGroupedKind, type GroupedKind } from './alert-keys.ts';

/**
 * Whether a channel's row of this kind may join a group. Webhooks may not: each event names one bot.
 * Nor a stale alert on a channel that escalates: it is due escalate_after later and sent only for
 * the sites still stale then, which already waits out a burst (a group would add its window to it).
 */
export function channelRowGroups(kind: string, channel: { kind: string; escalate_after_seconds: number | null }): kind is GroupedKind {
  if (!isGroupedKind(kind) || channel.kind === 'webhook') return false;
  return !(kind === 'stale' && channel.escalate_after_seconds !== null);
}

/** When a group opened at `openedAt` is sent at the latest: the window counts from the first decision. */
export function groupClosesAt(openedAt: Date, windowMs: number): Date {
  return new Date(openedAt.getTime() + windowMs);
}
