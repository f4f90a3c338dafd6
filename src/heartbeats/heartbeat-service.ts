// Receiving one heartbeat: validate, then record it through the group-commit batcher, answering
// only once the write is committed.
import { hashSecret, isBotTokenShape } from '../accounts/credentials.ts';
import { DatabaseUnavailableError, isDataException, type Database } from '../db/database.ts';
import { recordHeartbeats, type HeartbeatOutcome, type HeartbeatWrite } from '../db/bots.ts';
import { statusAfterHeartbeat } from '../domain/connection-status.ts';
import { parseHeartbeat, reportsSiteHealth } from '../domain/heartbeat-input.ts';
import { heartbeatFacts, type AttentionFacts } from '../domain/attention.ts';
import { createWriteBatcher } from './write-batcher.ts';

export type HeartbeatResult =
  | { kind: 'accepted'; botId: string; /** What this heartbeat said, for the attention items in its answer. */ facts: AttentionFacts; /** A 1.2 body (site-health fields): its answer may carry more. */ siteHealth: boolean }
  | { kind: 'invalid_token' }
  | { kind: 'bot_disabled' }
  | { kind: 'invalid_body'; message: string };

export interface HeartbeatServiceDeps {
  db: Database;
  now: () => Date;
  /**
   * Batches written at once, each on its own pooled connection (HEARTBEAT_WRITE_CONCURRENCY).
   * One by default: while a batch commits the next one gathers every heartbeat that arrives, and
   * PostgreSQL's cost per heartbeat falls with batch size (docs/SCALING.md, "Write concurrency").
   */
  writeConcurrency?: number;
  /** STALE_AFTER: within it, a heartbeat from another site URL is a copy's (recordHeartbeats). */
  staleAfterMs?: number;
}


export function createHeartbeatService({ db, now, writeConcurrency = 1, staleAfterMs }: HeartbeatServiceDeps) {
  const batcher = createWriteBatcher<HeartbeatWrite, HeartbeatOutcome | undefined>({
    keyOf: (write) => write.tokenHash,
    // An outage fails everyone anyway; any other refusal is split until it fails only its own item.
    isItemFault: (error) => !(error instanceof DatabaseUnavailableError),
    maxInFlight: writeConcurrency,
    flush: async (writes) => {
      const outcomes = await recordHeartbeats(db, writes, { staleAfterMs });
      return writes.map((write) => outcomes.get(write.tokenHash));
    },
  });

  return {
    /**
     * Resolves once the heartbeat is committed (or rejected); database faults propagate as errors.
     * `tokenHash` is hashSecret(token) when the caller already computed it (the route does).
     */
    async receive(token: string | undefined, body: unknown, tokenHash?: string): Promise<HeartbeatResult> {
      if (!token || !isBotTokenShape(token)) return { kind: 'invalid_token' };
      const input = parseHeartbeat(body);
      if (!input.ok) return { kind: 'invalid_body', message: input.message };
      const change = statusAfterHeartbeat(input.value.isActive);
      let outcome: HeartbeatOutcome | undefined;
      const at = now();
      try {
        outcome = await batcher.submit({
          tokenHash: tokenHash ?? hashSecret(token),
          siteUrl: input.value.siteUrl,
          pluginVersion: input.value.pluginVersion,
          wpVersion: input.value.wpVersion,
          health: input.value.health,
          status: change.to,
          reason: change.reason,
          at,
        });
      } catch (error) {
        // Validation should have caught it; if the database still refuses a value, it is this
        // heartbeat's input at fault (the batcher has isolated it), not a server error.
        if (isDataException(error)) return { kind: 'invalid_body', message: 'The heartbeat holds a value that cannot be stored' };
        throw error;
      }
      if (!outcome) return { kind: 'invalid_token' };
      if (!outcome.isActive) return { kind: 'bot_disabled' };
      return { kind: 'accepted', botId: outcome.botId, facts: heartbeatFacts(input.value, at), siteHealth: reportsSiteHealth(input.value.health) };
    },

    /** Waits for heartbeats already received to be written (graceful shutdown). */
    drain: () => batcher.drain(),
  };
}

export type HeartbeatService = ReturnType<typeof createHeartbeatService>;
