// A per-key limit in fixed windows, in memory: at most `max` calls per key per window, the window
// starting at a key's first call. For the heartbeat (docs/SCALING.md "CPU per heartbeat"), which
// every site calls every five minutes, so a check must cost one Map lookup and no allocation
// beyond a new window's entry, and memory must stay bounded for a million bots.
//
// A key's entry is re-inserted when its window starts, so the Map iterates in order of window
// start: expired entries are always at its front, and dropping them (and, past maxKeys, the
// oldest live ones) costs only what is dropped. Per instance, like the other in-memory limits.

export interface WindowLimitOptions {
  max: number;
  windowMs: number;
  now: () => Date;
  /** Keys kept at most; past it the oldest windows are forgotten (their keys start afresh). */
  maxKeys?: number;
}

interface Window {
  count: number;
  resetAt: number;
}

export function createWindowLimit({ max, windowMs, now, maxKeys = 200_000 }: WindowLimitOptions) {
  const windows = new Map<string, Window>();

  /** Drops expired windows from the front, then the oldest live ones while over maxKeys. */
  const prune = (at: number) => {
    for (const [key, window] of windows) {
      if (window.resetAt > at && windows.size <= maxKeys) break;
      windows.delete(key);
    }
  };

  return {
    /** Counts a call for `key`: 0 when it is allowed, else the seconds until its window ends. */
    take(key: string): number {
      const at = now().getTime();
      const window = windows.get(key);
      if (window && window.resetAt > at) {
        if (window.count >= max) return Math.ceil((window.resetAt - at) / 1000);
        window.count++;
        return 0;
      }
      if (window) windows.delete(key);
      windows.set(key, { count: 1, resetAt: at + windowMs });
      // Cheap when nothing expired: the front entry is the oldest window.
      prune(at);
      return 0;
    },

    get size() {
      return windows.size;
    },
  };
}

export type WindowLimit = ReturnType<typeof createWindowLimit>;
