// One owner's largest allowed account must not slow anyone else. Fills an owner to the limits
// (MAX_BOTS_PER_OWNER bots, MAX_SCHEDULES_PER_OWNER "all bots" weekly windows, every window running
// now: the heaviest case), then lists that account over and over while another owner's site sends
// heartbeats, and prints the longest event-loop stall and the other owner's heartbeat latency,
// each beside the same figure measured alone in the same run (shared machines are noisy). The
// per-token heartbeat limit is lifted so one site can report every 10 ms:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:owner-lag
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { migrate } from '../src/db/migrate.ts';
import { createBotFor, createOwner, postHeartbeat } from '../tests/helpers/app.ts';
import { fillLargestAccount } from '../tests/helpers/large-account.ts';
import { openScratchDatabase } from './scratch-database.ts';

const base = process.env.DATABASE_URL;
if (!base) throw new Error('set DATABASE_URL to a PostgreSQL server');
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', PROBE: 'off', HEARTBEAT_RATE_LIMIT: '1000000' });
const scratch = await openScratchDatabase(base, { poolSize: 10 });
const app = await buildApp({ config, db: scratch.db });
try {
  await migrate(scratch.db);
  await app.ready();
  const large = await fillLargestAccount(scratch.db, new Date(), config.quotas);
  const other = await createOwner(scratch.db);
  const { token } = await createBotFor(scratch.db, other.user.id);
  const list = () => app.inject({ method: 'GET', url: `/api/bots?limit=${config.quotas.bots}`, headers: { authorization: `Bearer ${large.apiKey}` } });
  await list(); // warm: schemas compiled, plans cached

  /** Sends the other owner's heartbeats every 10 ms for `ms`, while `load` runs; latencies and the longest stall. */
  async function measure(ms: number, load?: () => Promise<unknown>) {
    const latencies: number[] = [];
    const listTimes: number[] = [];
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const until = performance.now() + ms;
    const beats = (async () => {
      while (performance.now() < until) {
        const started = performance.now();
        const answer = await postHeartbeat(app, token);
        if (answer.statusCode !== 200) throw new Error(`heartbeat answered ${answer.statusCode}`);
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const lists = (async () => {
      while (load && performance.now() < until) {
        const started = performance.now();
        await load();
        listTimes.push(performance.now() - started);
      }
    })();
    await Promise.all([beats, lists]);
    loop.disable();
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const pick = (values: number[], q: number) => sorted(values)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;
    return { stall: loop.max / 1e6, p99: pick(latencies, 0.99), listMedian: pick(listTimes, 0.5) };
  }

  const alone = await measure(5000);
  const loaded = await measure(10_000, list);
  const f = (value: number) => `${value.toFixed(1)} ms`;
  console.log(
    `owner-lag: largest account (${config.quotas.bots} bots, ${config.quotas.schedules} weekly windows): list median ${f(loaded.listMedian)}; ` +
      `longest event-loop stall ${f(loaded.stall)} (alone ${f(alone.stall)}); another owner's heartbeat p99 ${f(loaded.p99)} ` +
      `(alone ${f(alone.p99)}, ${(loaded.p99 / alone.p99).toFixed(1)}×)`,
  );
} finally {
  await app.close();
  await scratch.drop().catch(() => undefined);
}
