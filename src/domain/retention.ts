// How long history is kept: the pruning jobs delete what is older, and the privacy page says so.

/** Hourly heartbeat counts per bot: the dashboard charts the last 7 days. */
export const HEARTBEAT_HISTORY_DAYS = 8;
/** Site probes: reminders stop after 7 days, everything else is judged in minutes. */
export const PROBE_HISTORY_DAYS = 8;
/** The audit log of an account (who did what): 90 days, pruned as entries are written. */
export const AUDIT_KEEP_DAYS = 90;
export const AUDIT_KEEP_MS = AUDIT_KEEP_DAYS * 86_400_000;
