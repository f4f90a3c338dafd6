// A real cluster on one machine (docs/SCALING.md, "A cluster on one machine"): the machine's
// PostgreSQL, PgBouncer in transaction mode, three service instances started as `npm start`
// starts them, HAProxy in front, and a real SMTP receiver. Bots send heartbeats through HAProxy;
// meanwhile the instance holding the sweep lease is SIGKILLed in the middle of a sweep and
// restarted, PgBouncer is stopped for a while, and a third of the bots fall silent.
//
// `npm run bench:cluster` runs the long form (DATABASE_URL's server, or the machine's PostgreSQL
// at 127.0.0.1:5432); tests/cluster.test.ts the short one. Both print one line:
//   cluster: N instances, K heartbeats acked, 0 lost, sweeper failover T s, M sites mailed once
// All traffic stays on loopback; the load is bounded by the number of bots and their interval.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { issueBotToken, issueWidgetKey } from '../src/accounts/credentials.ts';
import { migrate } from '../src/db/migrate.ts';
import { openPgDatabase } from '../src/db/pg-driver.ts';
import { selectLeaseTerms, type LeaseTermRow } from '../src/db/sweep-lease.ts';
import { startHaproxy } from '../tests/helpers/haproxy.ts';
import { startPgBouncer } from '../tests/helpers/pgbouncer.ts';
import { freePort } from '../tests/helpers/system.ts';
import { SERVICE_ARGS, SERVICE_READY, startProcess } from './service-process.ts';

export interface ClusterOptions {
  /** An empty database on the machine's PostgreSQL (the caller creates and drops it). */
  databaseUrl: string;
  instances?: number;
  bots: number;
  /** Each bot sends one heartbeat this often. */
  heartbeatEveryMs: number;
  /** STALE_AFTER of the instances, in seconds. */
  staleAfterS: number;
  /** SWEEP_CRON of the instances, in seconds between ticks (a divisor of 60). */
  sweepEveryS: number;
  /** How long PgBouncer stays down. */
  outageMs: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface ClusterReport {
  instances: number;
  acked: number;
  /** Acknowledged heartbeats missing from the database (must be 0). */
  lost: number;
  /** From the SIGKILL to the next sweep by another instance. */
  failoverS: number;
  /** The holder was killed while it held the lease (mid-sweep), not between two sweeps. */
  killedMidSweep: boolean;
  /** Answers by status; `503+retry` are 503s with Retry-After, `error` requests that got no answer. */
  answers: Record<string, number>;
  /** Answers other than 200, and other than 503 with Retry-After while PgBouncer was down. */
  unexpected: number;
  silent: number;
  /** Silent sites named in exactly one mail. */
  mailedOnce: number;
  /** Silent sites named in more than one mail, and reporting sites named in any. */
  mailedTwice: number;
  mailedWrongly: number;
  terms: number;
  /** Lease terms that began before the previous one ended (must be 0). */
  overlaps: number;
  line: string;
}

const SECRET = 'cluster-benchmark-secret-'.padEnd(48, 'x');
const BOTS_PER_OWNER = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`cluster: ${what} did not happen within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(everyMs);
  }
}

/** Owners of ten bots each, every bot named "Cluster site N"; returns the bots' tokens in order. */
async function seedFleet(db: ReturnType<typeof openPgDatabase>, bots: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let first = 0; first < bots; first += BOTS_PER_OWNER) {
    const { rows } = await db.query<{ id: string }>("INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id", [
      `owner${first / BOTS_PER_OWNER}@cluster.example.test`,
    ]);
    const batch = Array.from({ length: Math.min(BOTS_PER_OWNER, bots - first) }, () => issueBotToken());
    tokens.push(...batch.map((t) => t.value));
    await db.query(
      `INSERT INTO bots (user_id, name, token_hash, token_prefix, widget_key)
       SELECT $1, 'Cluster site ' || ($5::int + n - 1), h, p, w FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(h, p, w, n)`,
      [rows[0]!.id, batch.map((t) => t.hash), batch.map((t) => t.prefix), batch.map(() => issueWidgetKey()), first],
    );
  }
  return tokens;
}

/** A real SMTP server on a loopback port that keeps the text of what it receives. */
async function startMailReceiver() {
  const texts: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          texts.push(`${mail.subject ?? ''}\n${mail.text ?? ''}`);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as import('node:net').AddressInfo;
  return { port, texts, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface Instance {
  port: number;
  child?: ChildProcess;
  logFile?: string;
}

/** Heartbeats from every bot through the balancer, each bot on its own schedule. */
function startLoad(url: string, tokens: string[], everyMs: number, outage: () => boolean) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL('/api/bots/wordpress-heartbeat', url);
  const acked = tokens.map(() => 0);
  const silent = new Set<number>();
  const answers: Record<string, number> = {};
  let unexpected = 0;
  let inFlight = 0;
  const next = tokens.map((_, i) => Date.now() + (i * everyMs) / tokens.length);
  let stopped = false;

  const count = (key: string, allowed: boolean) => {
    answers[key] = (answers[key] ?? 0) + 1;
    if (!allowed) unexpected++;
  };
  const send = (i: number) => {
    inFlight++;
    const body = JSON.stringify({ site_url: `https://site${i}.cluster.example.test`, plugin_version: '1.1.0', wp_version: '6.1.1', is_active: true });
    const request = http.request(
      target,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-bot-token': tokens[i]!, 'content-length': Buffer.byteLength(body) }, timeout: 30_000 },
      (response) => {
        response.resume();
        response.on('end', () => {
          inFlight--;
          const status = response.statusCode ?? 0;
          if (status === 200) {
            acked[i]!++;
            count('200', true);
          } else if (status === 503 && response.headers['retry-after']) count('503+retry', outage());
          else count(String(status), false);
        });
      },
    );
    request.on('error', () => {
      inFlight--;
      count('error', false);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.end(body);
  };
  const timer = setInterval(() => {
    const now = Date.now();
    for (let i = 0; i < tokens.length; i++) {
      if (next[i]! > now) continue;
      next[i] = now + everyMs;
      if (!stopped && !silent.has(i)) send(i);
    }
  }, 20);
  return {
    acked,
    silent,
    answers,
    unexpected: () => unexpected,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await until('the last heartbeats answered', () => inFlight === 0, 35_000, 50);
      agent.destroy();
    },
  };
}

export async function runCluster(options: ClusterOptions): Promise<ClusterReport> {
  const log = options.log ?? (() => {});
  const instanceCount = options.instances ?? 3;
  const database = new URL(options.databaseUrl).pathname.slice(1);
  const direct = openPgDatabase({ connectionString: options.databaseUrl, poolSize: 2 });
  const cleanup: Array<() => Promise<unknown>> = [() => direct.close()];
  const instances: Instance[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cluster-'));
  cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  try {
    await migrate(direct);
    const tokens = await seedFleet(direct, options.bots);
    const mail = await startMailReceiver();
    cleanup.push(mail.close);
    const pgbouncer = await startPgBouncer(options.databaseUrl, { poolSize: 10 });
    cleanup.push(pgbouncer.close);

    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      DATABASE_URL: pgbouncer.url(database),
      DATABASE_POOL_SIZE: '5',
      SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
      SWEEP_CRON: `*/${options.sweepEveryS} * * * * *`,
      STALE_AFTER: `${options.staleAfterS}s`,
      PROBE: 'off',
      ALERT_GROUP_WINDOW: '0',
      HEARTBEAT_RATE_LIMIT: '1000000',
      SECRET_KEY: SECRET,
      LOG_LEVEL: 'warn',
    };
    const start = async (instance: Instance, index: number) => {
      const started = await startProcess(SERVICE_ARGS, { ...env, PORT: String(instance.port), DATA_DIR: path.join(dataDir, `instance${index}`) }, SERVICE_READY);
      instance.child = started.child;
      instance.logFile = started.logFile;
    };
    for (let i = 0; i < instanceCount; i++) instances.push({ port: await freePort() });
    cleanup.push(async () => {
      for (const instance of instances) {
        const child = instance.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    });
    await Promise.all(instances.map((instance, i) => start(instance, i)));
    const haproxy = await startHaproxy(instances.map((instance) => instance.port));
    cleanup.push(haproxy.close);
    log(`cluster up: ${instanceCount} instances behind HAProxy ${haproxy.url}, PgBouncer on ${pgbouncer.port}, ${options.bots} bots`);

    let outageFrom = Infinity;
    let outageTo = Infinity;
    // 503s are expected from PgBouncer's stop until the pools have reconnected after its start.
    const inOutage = () => Date.now() >= outageFrom && Date.now() <= outageTo + 5000;
    const load = startLoad(haproxy.url, tokens, options.heartbeatEveryMs, inOutage);
    cleanup.push(() => load.stop());
    await until('a first heartbeat from every bot', () => load.acked.every((n) => n > 0), 60_000);

    // A third of the bots fall silent.
    tokens.forEach((_, i) => i % 3 === 0 && load.silent.add(i));
    log(`${load.silent.size} bots fell silent`);

    // SIGKILL the lease holder in the middle of a sweep: watch the lease row closely around the ticks.
    const watcher = new pg.Client({ connectionString: options.databaseUrl });
    await watcher.connect();
    cleanup.push(() => watcher.end());
    let victim: Instance | undefined;
    const tickMs = options.sweepEveryS * 1000;
    const watchUntil = Date.now() + 8 * tickMs;
    while (!victim && Date.now() < watchUntil) {
      // Watch from just before a tick until two seconds after it; sleep in between.
      const sinceTick = Date.now() % tickMs;
      if (sinceTick > 2000 && sinceTick < tickMs - 100) {
        await sleep(tickMs - 100 - sinceTick);
        continue;
      }
      const { rows } = await watcher.query<{ holder: string }>('SELECT holder FROM sweep_lease WHERE expires_at > clock_timestamp()');
      const pid = rows[0] ? Number(rows[0].holder.split('/')[1]) : undefined;
      victim = instances.find((instance) => instance.child?.pid === pid);
      if (!victim) await sleep(2);
    }
    if (!victim) {
      // Never caught mid-sweep (very short sweeps): kill the last holder between two sweeps.
      const { rows } = await watcher.query<{ holder: string }>('SELECT holder FROM sweep_lease');
      victim = instances.find((instance) => instance.child?.pid === Number(rows[0]?.holder?.split('/')[1])) ?? instances[0]!;
    }
    victim.child!.kill('SIGKILL');
    const killedAt = Date.now();
    // Whether it died holding the lease (then the others wait for its expiry) or just after its release.
    const { rows: after } = await watcher.query<{ holder: string | null; live: boolean }>('SELECT holder, expires_at > clock_timestamp() AS live FROM sweep_lease');
    const killedMidSweep = after[0]!.live && Number(after[0]!.holder?.split('/')[1]) === victim.child!.pid;
    log(`SIGKILLed instance on port ${victim.port} (pid ${victim.child!.pid}) ${killedMidSweep ? 'while it held the sweep lease' : 'between sweeps'}`);
    const killed = victim;
    // Restarted as a supervisor would (systemd Restart=always): a start that finds the database
    // unreachable (PgBouncer down) exits, and is tried again.
    const restarted = (async () => {
      await sleep(5000);
      for (let attempt = 1; ; attempt++) {
        try {
          await start(killed, instances.indexOf(killed));
          log(`restarted the instance on port ${killed.port} (attempt ${attempt})`);
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await sleep(2000);
        }
      }
    })();
    restarted.catch(() => {});

    // PgBouncer down for a while.
    await sleep(3000);
    outageFrom = Date.now();
    await pgbouncer.stop();
    log(`PgBouncer stopped for ${options.outageMs / 1000} s`);
    await sleep(options.outageMs);
    await pgbouncer.start();
    outageTo = Date.now();
    log('PgBouncer back');
    await restarted;

    // Another instance takes the lease over.
    let terms: LeaseTermRow[] = [];
    await until(
      'a sweep by another instance after the kill',
      async () => {
        terms = await selectLeaseTerms(direct);
        return terms.some((term) => term.acquired_at.getTime() > killedAt);
      },
      120_000,
      200,
    );
    const failoverS = (terms.find((term) => term.acquired_at.getTime() > killedAt)!.acquired_at.getTime() - killedAt) / 1000;
    log(`another instance swept ${failoverS.toFixed(1)} s after the kill`);

    // Every silent site gets its stale mail.
    const namedIn = () => {
      const counts = new Map<number, number>();
      for (const text of mail.texts) for (const site of new Set([...text.matchAll(/Cluster site (\d+)\b/g)].map((m) => Number(m[1])))) counts.set(site, (counts.get(site) ?? 0) + 1);
      return counts;
    };
    await until('a stale mail for every silent site', () => [...load.silent].every((i) => namedIn().has(i)), (options.staleAfterS + 6 * options.sweepEveryS) * 1000 + 60_000, 500);
    // One more sweep and its delivery round (delivery follows each sweep), so that a second mail
    // about a site would show.
    await sleep(options.sweepEveryS * 1000 + 3000);
    await load.stop();

    const { rows: stored } = await direct.query<{ name: string; n: number }>(
      `SELECT b.name, coalesce(sum(h.count), 0)::int AS n FROM bots b LEFT JOIN heartbeat_hours h ON h.bot_id = b.id GROUP BY b.name`,
    );
    const storedBySite = new Map(stored.map((row) => [Number(row.name.replace('Cluster site ', '')), row.n]));
    const lost = load.acked.reduce((sum, n, i) => sum + Math.max(0, n - (storedBySite.get(i) ?? 0)), 0);
    const acked = load.acked.reduce((a, b) => a + b, 0);
    const counts = namedIn();
    const silent = [...load.silent];
    const mailedOnce = silent.filter((i) => counts.get(i) === 1).length;
    const mailedTwice = silent.filter((i) => (counts.get(i) ?? 0) > 1).length;
    const mailedWrongly = [...counts.keys()].filter((i) => !load.silent.has(i)).length;
    terms = await selectLeaseTerms(direct);
    const overlaps = terms.filter((term, i) => i > 0 && term.acquired_at < terms[i - 1]!.ends_at).length;
    const line = `cluster: ${instanceCount} instances, ${acked} heartbeats acked, ${lost} lost, sweeper failover ${failoverS.toFixed(1)} s, ${mailedOnce} sites mailed once`;
    return {
      instances: instanceCount,
      acked,
      lost,
      failoverS,
      killedMidSweep,
      answers: load.answers,
      unexpected: load.unexpected(),
      silent: silent.length,
      mailedOnce,
      mailedTwice,
      mailedWrongly,
      terms: terms.length,
      overlaps,
      line,
    };
  } catch (error) {
    for (const instance of instances) if (instance.logFile) log(`instance ${instance.port} log:\n${fs.readFileSync(instance.logFile, 'utf8').slice(-3000)}`);
    throw error;
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  }
}

// `npm run bench:cluster`: the long form, on a scratch database.
if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  const { openScratchDatabase } = await import('./scratch-database.ts');
  const scratch = await openScratchDatabase(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres', { poolSize: 1 });
  const started = Date.now();
  try {
    const report = await runCluster({
      databaseUrl: scratch.url,
      bots: Number(process.env.CLUSTER_BOTS ?? 3000),
      heartbeatEveryMs: 10_000,
      staleAfterS: 60,
      sweepEveryS: 10,
      outageMs: 10_000,
      log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`),
    });
    const { line, ...details } = report;
    console.log(JSON.stringify(details));
    console.log(line);
  } finally {
    await scratch.drop();
  }
}
