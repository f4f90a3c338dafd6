// test-runner: alone — compiles the whole service with tsc (several seconds of both cores)
// `npm start` runs compiled JavaScript (docs/architecture.md "Build"): the service is compiled by
// scripts/build-server.mjs into a temporary folder beside build/ (same depth, so paths resolved
// from a module's own location reach sql/, views/, public/, releases/ and wordpress-plugin/ as they
// do from build/), then started with package.json's own start command, pointed at that folder:
// once plain, once with an OTLP endpoint (the telemetry module must still instrument what the
// compiled app loads after it).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createPostgresDatabase } from './helpers/database.ts';
import { otlpEnv, startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.ts';
import { ROOT } from './helpers/service-process.ts';
import { buildServer } from '../scripts/build-server.mjs';

interface Started {
  child: ChildProcess;
  url: string;
  output(): string;
}

interface Ctx {
  outDir: string;
  dataDir: string;
  plain: Started;
  traced: Started;
  receiver: OtlpReceiver;
}

const test = suite<Ctx>('compiled start (npm start without a TypeScript loader)');

/** package.json's "start" as node arguments, with build/ replaced by `outDir`. */
function startArgs(outDir: string): string[] {
  const start: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const [command, ...args] = start.split(/\s+/);
  assert.is(command, 'node');
  const relative = path.relative(ROOT, outDir);
  return args.map((arg) => arg.replace(/^(\.\/)?build\//, `$1${relative}/`));
}

/** Starts the compiled service on a fresh database; resolves once it listens. */
async function startCompiled(ctx: Ctx, env: Record<string, string> = {}): Promise<Started> {
  let output = '';
  const child = spawn(process.execPath, startArgs(ctx.outDir), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', DATA_DIR: fs.mkdtempSync(path.join(ctx.dataDir, 'run-')), DATABASE_URL: await createPostgresDatabase(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the compiled service did not start in 60 s:\n${output}`)), 60_000);
    const check = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the compiled service exited with ${code}:\n${output}`));
    });
  });
  return { child, url, output: () => output };
}

async function stop(started: Started | undefined) {
  const child = started?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

test.before(async (ctx) => {
  ctx.outDir = fs.mkdtempSync(path.join(ROOT, '.build-test-'));
  buildServer({ outDir: ctx.outDir }); // (it empties outDir first)
  ctx.dataDir = fs.mkdtempSync(path.join(ctx.outDir, 'data-'));
  ctx.plain = await startCompiled(ctx);
  // A second start with tracing on, exporting to an OTLP/HTTP receiver on a loopback port.
  ctx.receiver = await startOtlpReceiver();
  try {
    ctx.traced = await startCompiled(ctx, otlpEnv(ctx.receiver));
  } catch (error) {
    // Nothing left to test: close what is open, so the run does not hang.
    await stop(ctx.plain);
    await ctx.receiver.close();
    fs.rmSync(ctx.outDir, { recursive: true, force: true });
    throw error;
  }
});

test.after(async (ctx) => {
  await stop(ctx.plain);
  await stop(ctx.traced);
  await ctx.receiver?.close();
  fs.rmSync(ctx.outDir, { recursive: true, force: true });
});

test('the start command loads no TypeScript: no tsx, only .js files', (ctx) => {
  const args = startArgs(ctx.outDir);
  assert.not.ok(args.some((arg) => arg.includes('tsx') || arg.endsWith('.ts')), args.join(' '));
  // every module of src/ was compiled, with its relative imports rewritten to .js
  assert.match(fs.readFileSync(path.join(ctx.outDir, 'main.js'), 'utf8'), /from ["']\.\/app\.js["']/);
  const modules = fs.readdirSync(ctx.outDir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
  assert.ok(modules.length > 100, `${modules.length} modules`);
  const importsTs = modules.filter((file) => /(from|import\()\s*["'][^"']+\.ts["']/.test(fs.readFileSync(path.join(ctx.outDir, file), 'utf8')));
  assert.equal(importsTs, []);
});

test('the compiled service answers /healthz, and /readyz once the migrations of sql/ are applied', async (ctx) => {
  const healthz = await fetch(`${ctx.plain.url}/healthz`);
  assert.is(healthz.status, 200);
  assert.equal(await healthz.json(), { status: 'ok' });
  const readyz = await fetch(`${ctx.plain.url}/readyz`);
  assert.is(readyz.status, 200, await readyz.clone().text());
  assert.is((await readyz.json()).status, 'ready');
});

test('files found from the module’s own location still load: widget script, page templates, static files, plugin release', async (ctx) => {
  const widget = await fetch(`${ctx.plain.url}/widget.js`);
  assert.is(widget.status, 200);
  assert.is(await widget.text(), fs.readFileSync(path.join(ROOT, 'src/plugin/widget.js'), 'utf8'));
  const login = await fetch(`${ctx.plain.url}/login`);
  assert.is(login.status, 200);
  assert.match(await login.text(), /<form/);
  const css = await fetch(`${ctx.plain.url}/static/app.css`);
  assert.is(css.status, 200);
  // the served plugin version is read from wordpress-plugin/ (a warning names it when unreadable)
  assert.not.match(ctx.plain.output(), /plugin release unreadable/);
});

test('with an OTLP endpoint the compiled service is traced: HTTP, Fastify and pg spans for a heartbeat', async (ctx) => {
  // the telemetry module, loaded by --import before the app, instruments modules the app loads later
  const response = await fetch(`${ctx.traced.url}/api/bots/wordpress-heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bot-token': `bot_${'x'.repeat(43)}` },
    body: JSON.stringify({ site_url: 'https://traced.example', plugin_version: '1.1.0', wp_version: '6.1.1', is_active: true }),
  });
  // an unknown token: looked up in the database, then refused
  assert.is(response.status, 401);
  const deadline = Date.now() + 10_000;
  const scopes = () => new Set(ctx.receiver.spans.map((span) => span.scope));
  while (Date.now() < deadline && !(scopes().has('@opentelemetry/instrumentation-http') && scopes().has('@fastify/otel') && scopes().has('@opentelemetry/instrumentation-pg'))) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(scopes().has('@opentelemetry/instrumentation-http'), [...scopes()].join(', '));
  assert.ok(scopes().has('@fastify/otel'), [...scopes()].join(', '));
  assert.ok(scopes().has('@opentelemetry/instrumentation-pg'), [...scopes()].join(', '));
});

test.run();
