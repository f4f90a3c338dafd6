// The API's paged bot list for one very large owner: the first page and a deep page (a cursor
// 90% of the way down) of GET /api/bots at 100 bots, through the real app, at each size given.
// Each figure is printed beside a baseline measured in the same run on the same data — reading
// one bot, GET /api/bots/:id — since these machines are shared and noisy; at sizes up to 10,000
// the old answer (the whole list on one page) is measured too, for the before/after:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:api-page [10000,1000000]
import { performance } from 'node:perf_hooks';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { migrate } from '../src/db/migrate.ts';
import { encodeCursor, MAX_PAGE_SIZE } from '../src/domain/list-cursor.ts';
import { createOwner } from '../tests/helpers/app.ts';
import { openScratchDatabase } from './scratch-database.ts';
import { insertBotsWithActivity } from './seed-bots.ts';

const base = process.env.DATABASE_URL;
if (!base) throw new Error('set DATABASE_URL to a PostgreSQL server');
const sizes = (process.argv[2] ?? '10000,1000000').split(',').map(Number);
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', PROBE: 'off' });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

for (const size of sizes) {
  const scratch = await openScratchDatabase(base);
  const app = await buildApp({ config, db: scratch.db });
  try {
    await migrate(scratch.db);
    await app.ready();
    const owner = await createOwner(scratch.db, { role: 'admin' });
    let started = performance.now();
    await insertBotsWithActivity(
      scratch.db,
      ['user_id', 'name', 'token_hash', 'token_prefix', 'widget_key', 'created_at', 'connection_status', 'wordpress_connected',
       'wordpress_site_url', 'wordpress_plugin_version', 'wordpress_wp_version'],
      `SELECT $1::uuid AS user_id, 'site ' || i AS name, md5(i::text) || md5((i * 7)::text) AS token_hash, 'bot_x' AS token_prefix,
              'pub_' || md5(i::text) AS widget_key, now() - interval '30 days' + i * interval '1 millisecond' AS created_at,
              'connected' AS connection_status, true AS wordpress_connected, 'https://site' || i || '.example' AS wordpress_site_url,
              '1.2.0' AS wordpress_plugin_version, '6.7' AS wordpress_wp_version, now() - (i % 300) * interval '1 second' AS last_activity
       FROM generate_series(1, $2) i`,
      [owner.user.id, size],
    );
    await scratch.db.query('VACUUM ANALYZE bots');
    const fill = (performance.now() - started) / 1000;
    const auth = { authorization: `Bearer ${owner.apiKey}` };
    const get = async (url: string) => {
      const answer = await app.inject({ method: 'GET', url, headers: auth });
      if (answer.statusCode !== 200) throw new Error(`${url} answered ${answer.statusCode}: ${answer.body.slice(0, 200)}`);
      return answer;
    };
    const time = async (url: string, runs = 15) => {
      await get(url); // warm: schemas compiled, plans cached
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        started = performance.now();
        await get(url);
        samples.push(performance.now() - started);
      }
      return median(samples);
    };
    const deep = (
      await scratch.db.query<{ us: string; id: string }>(
        `SELECT (extract(epoch FROM created_at) * 1000000)::bigint::text AS us, id FROM bots WHERE user_id = $1 ORDER BY created_at, id OFFSET $2 LIMIT 1`,
        [owner.user.id, Math.floor(size * 0.9)],
      )
    ).rows[0]!;
    const oneBot = (await get('/api/bots?limit=1')).json().bots[0].id as string;
    const single = await time(`/api/bots/${oneBot}`);
    const first = await time('/api/bots?limit=100');
    const deepPage = await time(`/api/bots?limit=100&cursor=${encodeCursor({ createdAtMicros: deep.us, id: deep.id })}`);
    const ratio = (ms: number) => (ms / single).toFixed(1);
    let line = `api-page: ${size} bots (filled in ${fill.toFixed(0)} s); one bot ${single.toFixed(1)} ms; first page of 100 ${first.toFixed(1)} ms (${ratio(first)}×); page at 90% ${deepPage.toFixed(1)} ms (${ratio(deepPage)}×)`;
    if (size <= 10_000) {
      // The old answer: every bot in one response, here in pages of the largest size.
      started = performance.now();
      let cursor: string | null = null;
      do {
        const page = (await get(`/api/bots?limit=${MAX_PAGE_SIZE}${cursor ? `&cursor=${cursor}` : ''}`)).json() as { next_cursor: string | null };
        cursor = page.next_cursor;
      } while (cursor);
      const whole = performance.now() - started;
      line += `; the whole list ${whole.toFixed(0)} ms (${ratio(whole)}×)`;
    }
    console.log(line);
  } finally {
    await app.close();
    await scratch.drop();
  }
}
