// Group commit for heartbeats. Each request still gets its answer only after its own write is
// committed, but requests that arrive while a write is in flight share the next one: one statement
// and one commit for up to `maxBatch` heartbeats instead of one each. That is what lets ingest keep
// up with the HTTP layer (bench/heartbeat-ingest.ts).
//
// Items with the same key never share a batch (a bot's second heartbeat waits for the next one),
// so each batch touches a row at most once and every status change is seen in order.

export interface BatcherOptions<T, R> {
  /** Writes the batch; returns one result per item, in order. Throwing fails every item in it. */
  flush: (items: T[]) => Promise<R[]>;
  keyOf: (item: T) => string;
  maxBatch?: number;
}

interface Entry<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export function createWriteBatcher<T, R>({ flush, keyOf, maxBatch = 500 }: BatcherOptions<T, R>) {
  let queue: Entry<T, R>[] = [];
  let inFlight: Promise<void> | undefined;

  function takeBatch(): Entry<T, R>[] {
    const batch: Entry<T, R>[] = [];
    const rest: Entry<T, R>[] = [];
    const keys = new Set<string>();
    for (const entry of queue) {
      const key = keyOf(entry.item);
      if (batch.length < maxBatch && !keys.has(key)) {
        keys.add(key);
        batch.push(entry);
      } else {
        rest.push(entry);
      }
    }
    queue = rest;
    return batch;
  }

  async function run(): Promise<void> {
    while (queue.length > 0) {
      const batch = takeBatch();
      try {
        const results = await flush(batch.map((entry) => entry.item));
        batch.forEach((entry, index) => entry.resolve(results[index]!));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    inFlight = undefined;
  }

  return {
    /** Resolves with this item's result once the batch holding it is committed. */
    submit(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        // Start on the next tick so requests arriving in the same tick share the first batch too.
        inFlight ??= new Promise<void>((started) => setImmediate(started)).then(run);
      });
    },
    /** Waits until everything submitted so far is written (graceful shutdown). */
    async drain(): Promise<void> {
      while (inFlight) await inFlight;
    },
  };
}
