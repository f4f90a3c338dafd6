// A real WordPress for end-to-end tests: Debian's wordpress package copied to a temp folder with
// its own wp-config.php, a fresh database on the machine's MariaDB, the plugin copied into
// wp-content/plugins, served by `php -S` and driven by PHP scripts (wp-task.php) and real HTTP.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PLUGIN_DIR, writePluginBuild, type PluginVariant } from '../../src/plugin/plugin-release.ts';

export const WORDPRESS_DIR = '/usr/share/wordpress';
const TASK_SCRIPT = fileURLToPath(new URL('./wp-task.php', import.meta.url));
const CLI_SCRIPT = fileURLToPath(new URL('./wp-cli-runner.php', import.meta.url));
/** Must-use plugin recording every outgoing HTTP request (pre_http_request) to http-requests.log. */
const RECORDER = `<?php
// Test harness: records every request WordPress's HTTP API is asked to make, before it is made.
add_filter(
	'pre_http_request',
	function ( $pre, $args, $url ) {
		file_put_contents( ABSPATH . 'http-requests.log', wp_json_encode( array( 'url' => $url, 'method' => $args['method'] ) ) . "\\n", FILE_APPEND | LOCK_EX );
		return $pre;
	},
	-1000,
	3
);
`;
const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root' };
/** Debian's wordpress package only recommends a theme; this is the one .ci/run installs. */
const DEFAULT_THEME = 'twentytwentythree';
/** The PHP extensions the suite relies on, with the Debian package that provides each. */
const PHP_EXTENSIONS: [extension: string, aptPackage: string][] = [
  ['mysqli', 'php-mysql'],
  ['xml', 'php-xml'],
  ['mbstring', 'php-mbstring'],
  ['curl', 'php-curl'],
];

function php(code: string): { ok: boolean; output: string } {
  const result = spawnSync('php', ['-r', code], { encoding: 'utf8', timeout: 20_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

function mysqlQuery(sql: string): { ok: boolean; output: string } {
  return php(
    `mysqli_report(MYSQLI_REPORT_OFF); $m = @new mysqli(${JSON.stringify(MYSQL.host)}, ${JSON.stringify(MYSQL.user)}, '', '', ${MYSQL.port});` +
      `if ($m->connect_errno) { fwrite(STDERR, $m->connect_error); exit(1); }` +
      `if (!$m->query(${JSON.stringify(sql)})) { fwrite(STDERR, $m->error); exit(1); }`,
  );
}

/** Why a real WordPress cannot run here, or undefined when it can. */
export function wordpressUnavailable(): string | undefined {
  if (spawnSync('php', ['-v'], { stdio: 'ignore' }).status !== 0) return 'php is not installed (apt-get install php-cli)';
  for (const [extension, aptPackage] of PHP_EXTENSIONS) {
    if (!php(`exit(extension_loaded("${extension}") ? 0 : 1);`).ok) return `the PHP ${extension} extension is missing (apt-get install ${aptPackage})`;
  }
  if (!existsSync(path.join(WORDPRESS_DIR, 'wp-load.php'))) return `Debian's wordpress package is not installed (apt-get install wordpress)`;
  // Without a theme the front end answers 500 and the widget never appears.
  if (!existsSync(path.join(WORDPRESS_DIR, 'wp-content', 'themes', DEFAULT_THEME, 'style.css'))) {
    return `WordPress has no ${DEFAULT_THEME} theme (apt-get install wordpress-theme-${DEFAULT_THEME})`;
  }
  const ping = mysqlQuery('SELECT 1');
  if (!ping.ok) return `MariaDB is not reachable at ${MYSQL.host}:${MYSQL.port} as root (${ping.output})`;
  return undefined;
}

export interface TaskResult {
  [key: string]: any;
}

/** A cookie jar and fetch wrapper: an administrator's browser, without the browser. */
export class Browser {
  private cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  async request(pathname: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const started = performance.now();
    const response = await fetch(new URL(pathname, this.baseUrl), { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      if (/expires=Thu, 01[- ]Jan[- ]1970/i.test(cookie) || value === 'deleted') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    return { status: response.status, location: response.headers.get('location'), text, ms: performance.now() - started };
  }

  setCookie(name: string, value: string) {
    this.cookies.set(name, value);
  }
}

export interface WordPressSite {
  url: string;
  root: string;
  dbName: string;
  debugLog: string;
  serverLog: () => string;
  task(task: string, args?: Record<string, unknown>): Promise<TaskResult>;
  /** Runs `wp agentdesk <args…>` through tests/wordpress/wp-cli-runner.php (no wp binary here). */
  cli(...args: string[]): Promise<{ exit: number; output: string }>;
  /** Every outgoing request the site made so far (URL and method), as the recorder saw them. */
  httpRequests(): { url: string; method: string }[];
  /** PHP lines included by wp-config.php (constants such as AGENTDESK_API_TOKEN); '' removes them. */
  setExtraConfig(php: string): void;
  /** Whether wp-config.php allows a private API URL (AGENTDESK_ALLOW_PRIVATE_API); allowed unless told otherwise. */
  allowPrivateApi(allowed: boolean): void;
  /** Stops `php -S` (the site stops answering); restart() serves it again on the same port. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Copies WordPress, creates its database, installs the plugin's `variant` build (default: the
 * direct download, with `apiUrl` as its default API URL) and starts `php -S` on a free port
 * (with `workers` PHP_CLI_SERVER_WORKERS, so WP-Cron's loopback call cannot wait on itself).
 */
export async function startWordPress(options: {
  pluginDir?: string;
  apiUrl: string;
  variant?: PluginVariant;
  workers?: number;
  /** The service's update-signing public key, as its download endpoint writes into the direct build. */
  publicKey?: string;
}): Promise<WordPressSite> {
  const serviceHost = new URL(options.apiUrl).hostname;
  const root = mkdtempSync(path.join(os.tmpdir(), 'agentdesk-wp-'));
  const dbName = `agentdesk_wp_${process.pid}_${randomBytes(3).toString('hex')}`;

  // Core files are copied (not linked): wp-admin finds wp-load.php through its own real path.
  for (const entry of readdirSync(WORDPRESS_DIR)) {
    if (entry === 'wp-content' || entry === 'wp-config.php') continue;
    cpSync(path.join(WORDPRESS_DIR, entry), path.join(root, entry), { recursive: true, verbatimSymlinks: true });
  }
  mkdirSync(path.join(root, 'wp-content', 'plugins'), { recursive: true });
  symlinkSync(path.join(WORDPRESS_DIR, 'wp-content', 'themes'), path.join(root, 'wp-content', 'themes'));
  writePluginBuild(options.pluginDir ?? DEFAULT_PLUGIN_DIR, path.join(root, 'wp-content', 'plugins'), {
    variant: options.variant ?? 'direct',
    apiUrl: options.apiUrl,
    publicKey: options.publicKey,
  });
  mkdirSync(path.join(root, 'wp-content', 'mu-plugins'));
  writeFileSync(path.join(root, 'wp-content', 'mu-plugins', 'agentdesk-e2e-recorder.php'), RECORDER);
  const extraConfig = path.join(root, 'e2e-extra-config.php');
  const requestLog = path.join(root, 'http-requests.log');

  const created = mysqlQuery(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4`);
  if (!created.ok) throw new Error(`could not create the WordPress database: ${created.output}`);

  let serverOutput = '';
  // php -S in its own process group, so stopping it also stops its workers (PHP_CLI_SERVER_WORKERS).
  const serve = (port: number) => {
    const child: ChildProcess = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', root], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, ...(options.workers ? { PHP_CLI_SERVER_WORKERS: String(options.workers) } : {}) },
    });
    child.stdout!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    const started = new Promise<number>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`php -S did not start: ${serverOutput}`)), 10_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        serverOutput += chunk.toString();
        const match = /Development Server \(http:\/\/127\.0\.0\.1:(\d+)\) started/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once('exit', (code) => reject(new Error(`php -S exited (${code}): ${serverOutput}`)));
    });
    return { child, started };
  };
  const stopServer = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  };
  let server = serve(0);
  const port = await server.started;
  const url = `http://127.0.0.1:${port}`;
  const debugLog = path.join(root, 'debug.log');
  const salt = () => randomBytes(32).toString('base64');
  writeFileSync(
    path.join(root, 'wp-config.php'),
    `<?php
define( 'DB_NAME', '${dbName}' );
define( 'DB_USER', '${MYSQL.user}' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '${MYSQL.host}:${MYSQL.port}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
${['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'].map((name) => `define( '${name}', '${salt()}' );`).join('\n')}
$table_prefix = 'wp_';
define( 'WP_HOME', '${url}' );
define( 'WP_SITEURL', '${url}' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', '${debugLog}' );
define( 'WP_DEBUG_DISPLAY', false );
// The test runs WP-Cron events itself; nothing may reach the internet (loopback only).
define( 'DISABLE_WP_CRON', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', '${serviceHost}' );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
// Updates are installed by this process, which owns the files.
define( 'FS_METHOD', 'direct' );
// The services of these tests live on loopback: allowed, unless a test takes that away.
define( 'AGENTDESK_ALLOW_PRIVATE_API', ! file_exists( __DIR__ . '/e2e-deny-private-api' ) );
if ( file_exists( __DIR__ . '/e2e-extra-config.php' ) ) {
	require __DIR__ . '/e2e-extra-config.php';
}
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
`,
  );

  const runPhp = (script: string, argv: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('php', [script, root, ...argv], {
        env: { ...process.env, AGENTDESK_E2E_HOST: `127.0.0.1:${port}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
  const task = async (name: string, args: Record<string, unknown> = {}) => {
    const { code, out } = await runPhp(TASK_SCRIPT, [name, JSON.stringify(args)]);
    const line = out.split('\n').find((l) => l.startsWith('@@RESULT@@ '));
    if (code !== 0 || !line) throw new Error(`wp-task ${name} failed (exit ${code}):\n${out}`);
    return { ...JSON.parse(line.slice('@@RESULT@@ '.length)), output: out } as TaskResult;
  };
  const cli = async (...args: string[]) => {
    const { code, out } = await runPhp(CLI_SCRIPT, args);
    if (code === null) throw new Error(`wp ${args.join(' ')} was killed:\n${out}`);
    return { exit: code, output: out.trim() };
  };

  return {
    url,
    root,
    dbName,
    debugLog,
    serverLog: () => serverOutput,
    task,
    cli,
    httpRequests: () =>
      existsSync(requestLog)
        ? readFileSync(requestLog, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line))
        : [],
    allowPrivateApi: (allowed: boolean) => (allowed ? rmSync(path.join(root, 'e2e-deny-private-api'), { force: true }) : writeFileSync(path.join(root, 'e2e-deny-private-api'), '')),
    setExtraConfig: (php: string) => (php ? writeFileSync(extraConfig, `<?php\n${php}\n`) : rmSync(extraConfig, { force: true })),
    async stop() {
      await stopServer(server.child);
    },
    async restart() {
      await stopServer(server.child);
      server = serve(port);
      await server.started;
    },
    async close() {
      await stopServer(server.child);
      mysqlQuery(`DROP DATABASE IF EXISTS \`${dbName}\``);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The hidden inputs of the form that posts to `action` (e.g. options.php) in an HTML page. */
export function formFields(html: string, action: string): Record<string, string> {
  const forms = html.split('<form').slice(1).filter((f) => f.slice(0, f.indexOf('>')).includes(action));
  if (forms.length === 0) throw new Error(`no form posting to ${action}`);
  const form = forms[0]!.slice(0, forms[0]!.indexOf('</form>'));
  const fields: Record<string, string> = {};
  // WordPress quotes some attributes with ' (settings_fields) and others with ".
  for (const match of form.matchAll(/<input[^>]*type=["']hidden["'][^>]*>/g)) {
    const name = /name=(["'])(.*?)\1/.exec(match[0])?.[2];
    const value = /value=(["'])(.*?)\1/.exec(match[0])?.[2] ?? '';
    if (name) fields[name] = value.replace(/&amp;/g, '&').replace(/&#0?38;/g, '&');
  }
  return fields;
}

export function readDebugLog(site: WordPressSite): string {
  return existsSync(site.debugLog) ? readFileSync(site.debugLog, 'utf8') : '';
}
