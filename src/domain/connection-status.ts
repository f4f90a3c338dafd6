// Connection status rules (docs/contract.md "Connection status"), as pure functions: no I/O, `now` always passed in.

export type StoredStatus = 'never' | 'connected' | 'stale' | 'deactivated' | 'disconnected';
/** What owners and metrics see: the stored status, or "disabled" when the bot is switched off. */
export type ConnectionStatus = StoredStatus | 'disabled';

export const CONNECTION_STATUSES: readonly ConnectionStatus[] = ['never', 'connected', 'stale', 'deactivated', 'disconnected', 'disabled'];

export interface StatusChange {
  to: StoredStatus;
  reason: string;
}

/** The status a heartbeat puts a bot in: the plugin says whether it is active. */
export function statusAfterHeartbeat(isActive: boolean): StatusChange {
  return isActive ? { to: 'connected', reason: 'heartbeat' } : { to: 'deactivated', reason: 'plugin_deactivated' };
}

/** The status a plugin's disconnect puts a bot in (its token is removed from the site). */
export const STATUS_AFTER_DISCONNECT: StatusChange = { to: 'disconnected', reason: 'plugin_disconnected' };

export function effectiveStatus(bot: { is_active: boolean; connection_status: StoredStatus }): ConnectionStatus {
  return bot.is_active ? bot.connection_status : 'disabled';
}

/** How long this bot may stay silent before it counts as stale: the global threshold plus its own grace. */
export function staleAfterMs(globalStaleAfterMs: number, graceSeconds: number): number {
  return globalStaleAfterMs + graceSeconds * 1000;
}
