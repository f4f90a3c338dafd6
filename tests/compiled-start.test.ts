// test-runner: alone — compiles the whole service with tsc (several seconds of both cores)
// `npm start` runs compiled JavaScript (docs/architecture.md "Build"): the service is compiled by
// scripts/build-server.mjs into a temporary folder beside build/ (same depth, so paths resolved
// from a module's own location reach sql/, views/, public/, releases/ and wordpress-plugin/ as they
// do from build/), then started with package.json's own start command, pointed at that folder.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createPostgresDatabase } from './helpers/database.ts';
import { ROOT } from './helpers/service-process.ts';
import { buildServer } from '../scripts/build-server.mjs';

interface Ctx {
  outDir: string;
  dataDir: string;
  child?: ChildProcess;
  url: string;
  output: string;
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

test.before(async (ctx) => {
  ctx.outDir = fs.mkdtempSync(path.join(ROOT, '.build-test-'));
  ctx.dataDir = fs.mkdtempSync(path.join(ctx.outDir, 'data-'));
  buildServer({ outDir: ctx.outDir });
  ctx.output = '';
  const child = spawn(process.execPath, startArgs(ctx.outDir), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', DATA_DIR: ctx.dataDir, DATABASE_URL: await createPostgresDatabase() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ctx.child = child;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (ctx.output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (ctx.output += chunk));
  ctx.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the compiled service did not start in 60 s:\n${ctx.output}`)), 60_000);
    const check = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(ctx.output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the compiled service exited with ${code}:\n${ctx.output}`));
    });
  });
});

test.after(async (ctx) => {
  const child = ctx.child;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
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
  const healthz = await fetch(`${ctx.url}/healthz`);
  assert.is(healthz.status, 200);
  assert.equal(await healthz.json(), { status: 'ok' });
  const readyz = await fetch(`${ctx.url}/readyz`);
  assert.is(readyz.status, 200, await readyz.clone().text());
  assert.is((await readyz.json()).status, 'ready');
});

test('files found from the module’s own location still load: widget script, page templates, static files, plugin release', async (ctx) => {
  const widget = await fetch(`${ctx.url}/widget.js`);
  assert.is(widget.status, 200);
  assert.is(await widget.text(), fs.readFileSync(path.join(ROOT, 'src/plugin/widget.js'), 'utf8'));
  const login = await fetch(`${ctx.url}/login`);
  assert.is(login.status, 200);
  assert.match(await login.text(), /<form/);
  const css = await fetch(`${ctx.url}/static/app.css`);
  assert.is(css.status, 200);
  // the served plugin version is read from wordpress-plugin/ (a warning names it when unreadable)
  assert.not.match(ctx.output, /plugin release unreadable/);
});

test.run();
