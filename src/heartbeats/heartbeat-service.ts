// Receiving one heartbeat: validate, then record it through the group-commit batcher, answering
// only once the write is committed.
import { hashSecret } from '../accounts/credentials.ts';
import type { Database } from '../db/database.ts';
import { recordHeartbeats, type HeartbeatOutcome, type HeartbeatWrite } from '../db/bots.ts';
import { statusAfterHeartbeat } from '../domain/connection-status.ts';
import { parseHeartbeat } from '../domain/heartbeat-input.ts';
import { createWriteBatcher } from './write-batcher.ts';

export type HeartbeatResult =
  | { kind: 'accepted'; botId: string }
  | { kind: 'invalid_token' }
  | { kind: 'bot_disabled' }
  | { kind: 'invalid_body'; message: string };

export interface HeartbeatServiceDeps {
  db: Database;
  now: () => Date;
  /** Batches written at once, each on its own pooled connection. */
  writeConcurrency?: number;
}

const TOKEN = /^bot_[A-Za-z0-9_\-]{16,200}$/;

export function createHeartbeatService({ db, now, writeConcurrency = 4 }: HeartbeatServiceDeps) {
  const batcher = createWriteBatcher<HeartbeatWrite, HeartbeatOutcome | undefined>({
    keyOf: (write) => write.tokenHash,
    maxInFlight: writeConcurrency,
    flush: async (writes) => {
      const outcomes = await recordHeartbeats(db, writes);
      return writes.map((write) => outcomes.get(write.tokenHash));
    },
  });

  return {
    /** Resolves once the heartbeat is committed (or rejected); database faults propagate as errors. */
    async receive(token: string | undefined, body: unknown): Promise<HeartbeatResult> {
      if (!token || !TOKEN.test(token)) return { kind: 'invalid_token' };
      const input = parseHeartbeat(body);
      if (!input.ok) return { kind: 'invalid_body', message: input.message };
      const change = statusAfterHeartbeat(input.value.isActive);
      const outcome = await batcher.submit({
        tokenHash: hashSecret(token),
        siteUrl: input.value.siteUrl,
        pluginVersion: input.value.pluginVersion,
        wpVersion: input.value.wpVersion,
        status: change.to,
        reason: change.reason,
        at: now(),
      });
      if (!outcome) return { kind: 'invalid_token' };
      if (!outcome.isActive) return { kind: 'bot_disabled' };
      return { kind: 'accepted', botId: outcome.botId };
    },

    /** Waits for heartbeats already received to be written (graceful shutdown). */
    drain: () => batcher.drain(),
  };
}

export type HeartbeatService = ReturnType<typeof createHeartbeatService>;
