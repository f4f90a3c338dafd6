// Alert groups (issue 16): which mail a site's alert travels in when an owner's sites fall silent
// (or come back) spread over a few minutes. Pure: the keys and times the sweep stores.

/** The kinds of owner mail that are grouped over ALERT_GROUP_WINDOW (reminders go out per sweep). */
export type GroupedKind = 'stale' | 'recovery';

export const isGroupedKind = (kind: string): kind is GroupedKind => kind === 'stale' || kind === 'recovery';

/**
 * Who a group is for: one open group per kind and owner. A channel dimension (spec §12) adds its id
 * as a third part, so "per owner and channel" groups need no other change.
 */
export function alertGroupKey(kind: GroupedKind, ownerId: string, channelId?: string): string {
  return channelId === undefined ? `${kind}:${ownerId}` : `${kind}:${ownerId}:${channelId}`;
}

/** When a group opened at `openedAt` is sent at the latest: the window counts from the first decision. */
export function groupClosesAt(openedAt: Date, windowMs: number): Date {
  return new Date(openedAt.getTime() + windowMs);
}
