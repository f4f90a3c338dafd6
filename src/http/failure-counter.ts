// Counts failures per key (an address, an email from an address) in a fixed window, in memory.
// Only failures count, so a client that authenticates correctly is never slowed down, and a
// check is one Map lookup: cheap enough for the heartbeat hot path. Per instance, like the rate
// limiter: behind N instances an attacker gets N times the budget, still far from useful.

export interface FailureCounterOptions {
  /** Failures allowed per key per window; the next attempt is refused until the window ends. */
  max: number;
  windowMs: number;
  now: () => Date;
  /** Keys kept at most; past it, expired entries and then the oldest are dropped (memory bound). */
  maxKeys?: number;
}

interface Entry {
  count: number;
  resetAt: number;
}

export function createFailureCounter({ max, windowMs, now, maxKeys = 100_000 }: FailureCounterOptions) {
  const entries = new Map<string, Entry>();

  const prune = (at: number) => {
    for (const [key, entry] of entries) if (entry.resetAt <= at) entries.delete(key);
    // Still full: the oldest windows go first (a Map iterates in insertion order).
    for (const key of entries.keys()) {
      if (entries.size <= maxKeys) break;
      entries.delete(key);
    }
  };

  return {
    /** Seconds until `key` may try again, or 0 when it may try now. */
    retryAfterSeconds(key: string): number {
      const entry = entries.get(key);
      if (!entry) return 0;
      const at = now().getTime();
      if (entry.resetAt <= at) {
        entries.delete(key);
        return 0;
      }
      return entry.count >= max ? Math.ceil((entry.resetAt - at) / 1000) : 0;
    },

    fail(key: string): void {
      const at = now().getTime();
      const entry = entries.get(key);
      if (entry && entry.resetAt > at) {
        entry.count++;
        return;
      }
      entries.delete(key);
      entries.set(key, { count: 1, resetAt: at + windowMs });
      if (entries.size > maxKeys) prune(at);
    },

    reset(key: string): void {
      entries.delete(key);
    },

    get size() {
      return entries.size;
    },
  };
}

export type FailureCounter = ReturnType<typeof createFailureCounter>;
