// Group commit for heartbeats. Each request still gets its answer only after its own write is
// committed, but requests that arrive while writes are in flight share the next one: one statement
// and one commit for up to `maxBatch` heartbeats instead of one each. Up to `maxInFlight` batches
// are written at once (on different pool connections), so commit latency overlaps. That is what
// lets ingest keep up with the HTTP layer (bench/heartbeat-ingest.ts).
//
// Items with the same key never share a batch, nor are they written by two batches at once (a
// bot's second heartbeat waits until its first is committed), so each batch touches a row at most
// once and every status change is applied in arrival order.
//
// One item must never fail its neighbours: when a batch is refused for a reason that is not an
// outage (say, a value the database will not store), it is split in halves and each half written
// again, until the item at fault fails alone. A clean batch costs nothing extra; one bad item
// costs about 2·log2(batch) extra writes. An outage fails the whole batch at once (splitting
// cannot help), and keys stay in flight throughout, so per-key order holds.

export interface BatcherOptions<T, R> {
  /** Writes the batch; returns one result per item, in order. Throwing rolls back every item in it. */
  flush: (items: T[]) => Promise<R[]>;
  keyOf: (item: T) => string;
  /** Whether a failed batch may hold items that would succeed alone (default: always). */
  isItemFault?: (error: unknown) => boolean;
  maxBatch?: number;
  maxInFlight?: number;
}

interface Entry<T, R> {
  item: T;
  key: string;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export function createWriteBatcher<T, R>({ flush, keyOf, isItemFault = () => true, maxBatch = 500, maxInFlight = 1 }: BatcherOptions<T, R>) {
  let queue: Entry<T, R>[] = [];
  const keysInFlight = new Set<string>();
  const flushes = new Set<Promise<void>>();
  let scheduled = false;

  /** Takes up to maxBatch entries whose keys are neither in flight nor already taken; keeps the rest in order. */
  function takeBatch(): Entry<T, R>[] {
    const batch: Entry<T, R>[] = [];
    const rest: Entry<T, R>[] = [];
    const blocked = new Set<string>();
    for (const entry of queue) {
      if (batch.length < maxBatch && !keysInFlight.has(entry.key) && !blocked.has(entry.key)) {
        keysInFlight.add(entry.key);
        batch.push(entry);
      } else {
        blocked.add(entry.key); // later entries of this key must wait behind this one
        rest.push(entry);
      }
    }
    queue = rest;
    return batch;
  }

  /** Settles every entry of the batch; splits a refused batch so only the item at fault fails. */
  async function writeIsolating(batch: Entry<T, R>[]): Promise<void> {
    try {
      const results = await flush(batch.map((entry) => entry.item));
      batch.forEach((entry, index) => entry.resolve(results[index]!));
    } catch (error) {
      if (batch.length === 1 || !isItemFault(error)) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await writeIsolating(batch.slice(0, half));
      await writeIsolating(batch.slice(half));
    }
  }

  async function write(batch: Entry<T, R>[]): Promise<void> {
    try {
      await writeIsolating(batch);
    } finally {
      for (const entry of batch) keysInFlight.delete(entry.key);
    }
  }

  function pump(): void {
    while (flushes.size < maxInFlight && queue.length > 0) {
      const batch = takeBatch();
      if (batch.length === 0) return; // everything queued waits for a key in flight
      const flushing: Promise<void> = write(batch).then(() => {
        flushes.delete(flushing);
        pump();
      });
      flushes.add(flushing);
    }
  }

  return {
    /** Resolves with this item's result once the batch holding it is committed. */
    submit(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, key: keyOf(item), resolve, reject });
        // Start on the next turn of the event loop so requests arriving together share a batch.
        if (!scheduled) {
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            pump();
          });
        }
      });
    },
    /** Waits until everything submitted so far is written (graceful shutdown). */
    async drain(): Promise<void> {
      while (queue.length > 0 || flushes.size > 0 || scheduled) {
        if (flushes.size > 0) await Promise.race(flushes);
        else await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}
