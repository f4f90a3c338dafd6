// WordPress on PHP compiled to WebAssembly (php-wasm), for the PHP versions the plugin promises
// (7.4 and 8.4) and a newer WordPress than Debian's: the `@php-wasm/node-7-4` / `@php-wasm/node-8-4`
// builds run the PHP, `@wp-playground/wordpress-builds` brings WordPress (6.2–6.5) and the SQLite
// database integration. Everything lives in php-wasm's in-memory file system: WordPress is unzipped
// into it, installed on a fresh SQLite database, and the plugin's build copied beside it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { newestTestedWordPress } from '../../scripts/plugin-check-rules.ts';
import { DEFAULT_PLUGIN_DIR, pluginBuildFiles, PLUGIN_SLUG, type PluginBuildOptions } from '../../src/plugin/plugin-release.ts';

export const WASM_PHP_VERSIONS = ['7.4', '8.4'] as const;
export type WasmPhpVersion = (typeof WASM_PHP_VERSIONS)[number];
/** The newest WordPress release the builds package carries; readme.txt's "Tested up to" names it. */
export const WASM_WORDPRESS = newestTestedWordPress() ?? '6.5';

const ROOT = '/wordpress';
const require = createRequire(import.meta.url);

/** Why php-wasm WordPress cannot run here (a package missing), or undefined. */
export function wasmWordPressUnavailable(): string | undefined {
  for (const name of ['@php-wasm/universal', '@php-wasm/node-7-4', '@php-wasm/node-8-4', '@wp-playground/wordpress-builds/package.json']) {
    try {
      require.resolve(name);
    } catch {
      return `the npm package ${name.replace('/package.json', '')} is not installed (npm ci installs the devDependencies)`;
    }
  }
  return undefined;
}

/** The part of php-wasm's API used here (its published types do not resolve under this project's module settings). */
interface PhpWasm {
  run(options: { code: string; env?: Record<string, string>; $_SERVER?: Record<string, string> }): Promise<{ text: string; errors: string; exitCode: number }>;
  mkdir(path: string): void;
  writeFile(path: string, data: string | Uint8Array): void;
  readFileAsText(path: string): string;
  exit(): void;
}
interface PhpWasmUniversal {
  loadPHPRuntime(loader: unknown): Promise<number>;
  PHP: new (runtimeId: number) => PhpWasm;
}
interface PhpWasmBuild {
  getPHPLoaderModule(): Promise<unknown>;
}
const load = <T>(name: string) => import(name) as Promise<T>;

export interface WasmWordPress {
  phpVersion: string;
  /** Runs PHP code with WordPress loaded first; answers the "@@RESULT@@ " line's JSON. */
  run(code: string, env?: Record<string, string>): Promise<Record<string, any>>;
  writeFile(file: string, data: string | Uint8Array): void;
  close(): void;
}

function buildsFile(relative: string): Uint8Array {
  return readFileSync(path.join(path.dirname(require.resolve('@wp-playground/wordpress-builds/package.json')), relative));
}

/** Installs WordPress `wpVersion` on PHP `phpVersion` with the plugin's build active. */
export async function startWasmWordPress(phpVersion: WasmPhpVersion, plugin: PluginBuildOptions, wpVersion = WASM_WORDPRESS): Promise<WasmWordPress> {
  const { loadPHPRuntime, PHP } = await load<PhpWasmUniversal>('@php-wasm/universal');
  const builds = await load<PhpWasmBuild>(`@php-wasm/node-${phpVersion.replace('.', '-')}`);
  const php = new PHP(await loadPHPRuntime(await builds.getPHPLoaderModule()));
  const write = (file: string, data: string | Uint8Array) => {
    try {
      php.mkdir(path.posix.dirname(file));
      php.writeFile(file, data);
    } catch (error) {
      throw new Error(`php-wasm could not write ${file}: ${JSON.stringify(error)}`);
    }
  };
  for (const [name, data] of Object.entries(unzipSync(buildsFile(`src/wordpress/wp-${wpVersion}.zip`)))) {
    // A fresh database, not the build's pre-installed one.
    if (!name.endsWith('/') && name !== 'wp-content/database/.ht.sqlite') write(`${ROOT}/${name}`, data);
  }
  const sqlite = `${ROOT}/wp-content/plugins/sqlite-database-integration`;
  for (const [name, data] of Object.entries(unzipSync(buildsFile('src/sqlite-database-integration/sqlite-database-integration.zip')))) {
    const inner = name.replace(/^[^/]+\//, '');
    if (inner && !name.endsWith('/')) write(`${sqlite}/${inner}`, data);
  }
  write(
    `${ROOT}/wp-content/db.php`,
    php
      .readFileAsText(`${sqlite}/db.copy`)
      .replaceAll('{SQLITE_IMPLEMENTATION_FOLDER_PATH}', sqlite)
      .replaceAll('{SQLITE_PLUGIN}', 'sqlite-database-integration/load.php'),
  );
  // php-wasm has no network (a request would abort the run): every request WordPress makes
  // (wp_install's permalink check, say) fails as an unreachable host would; tests answer their own.
  write(
    `${ROOT}/wp-content/mu-plugins/no-network.php`,
    `<?php
add_filter( 'pre_http_request', function () { return new WP_Error( 'http_request_failed', 'php-wasm has no network' ); }, 1000 );
`,
  );
  for (const [name, data] of pluginBuildFiles(DEFAULT_PLUGIN_DIR, plugin)) write(`${ROOT}/wp-content/plugins/${PLUGIN_SLUG}/${name}`, data);
  write(
    `${ROOT}/wp-config.php`,
    `<?php
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', '' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', 'localhost' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
$table_prefix = 'wp_';
define( 'WP_HOME', 'http://localhost' );
define( 'WP_SITEURL', 'http://localhost' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_DISPLAY', true );
// Requests made by the tests are answered by their own pre_http_request recorder; cron stays off.
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'FS_METHOD', 'direct' );
foreach ( array( 'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT' ) as $key ) {
	define( $key, '${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('hex')}' . $key );
}
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
`,
  );

  const execute = async (code: string, env: Record<string, string> = {}) => {
    let response;
    try {
      response = await php.run({
        code,
        env,
        $_SERVER: { HTTP_HOST: 'localhost', SERVER_NAME: 'localhost', REQUEST_URI: '/', REQUEST_METHOD: 'GET', DOCUMENT_ROOT: ROOT },
      });
    } catch (error) {
      throw new Error(`PHP ${phpVersion} failed to run: ${error instanceof Error ? error.message : JSON.stringify(error)}\n${code.slice(0, 300)}`);
    }
    const text = response.text;
    const line = text.split('\n').find((l) => l.startsWith('@@RESULT@@ '));
    if (!line) throw new Error(`PHP ${phpVersion} answered no result (exit ${response.exitCode}):\n${text.slice(0, 4000)}\n${response.errors}`);
    // PHP's warnings and notices (WP_DEBUG), for the caller to look for the plugin's own.
    return { ...JSON.parse(line.slice('@@RESULT@@ '.length)), phpErrors: String(response.errors) } as Record<string, any>;
  };

  const installed = await execute(`<?php
define( 'WP_INSTALLING', true );
require '${ROOT}/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$installed = wp_install( 'AgentDesk on PHP ${phpVersion}', 'admin', 'admin@example.test', false, '', 'wasm-admin-password' );
echo "\\n@@RESULT@@ " . json_encode( array( 'user_id' => $installed['user_id'] ) ) . "\\n";
`);
  if (!installed.user_id) throw new Error(`WordPress did not install on PHP ${phpVersion}: ${JSON.stringify(installed)}`);
  const activated = await execute(`<?php
require '${ROOT}/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$result = activate_plugin( '${PLUGIN_SLUG}/${PLUGIN_SLUG}.php' );
echo "\\n@@RESULT@@ " . json_encode( array( 'error' => is_wp_error( $result ) ? $result->get_error_message() : null, 'active' => is_plugin_active( '${PLUGIN_SLUG}/${PLUGIN_SLUG}.php' ) ) ) . "\\n";
`);
  if (!activated.active) throw new Error(`the plugin did not activate on PHP ${phpVersion}: ${JSON.stringify(activated)}`);

  return {
    phpVersion,
    run: (code, env) => execute(`<?php\nrequire '${ROOT}/wp-load.php';\n?>${code}`, env),
    writeFile: write,
    close: () => php.exit(),
  };
}
