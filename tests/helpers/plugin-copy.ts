// A copy of wordpress-plugin/ that announces another version, for "the service announces a newer
// release" tests: the service's plugin endpoints are pointed at it through AppDeps.pluginDir.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PLUGIN_DIR, readPluginRelease } from '../../src/plugin/plugin-release.ts';

/** Copies the plugin and rewrites its header, AGENTDESK_VERSION and readme to `version`. */
export function copyPluginWithVersion(version: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentdesk-plugin-'));
  cpSync(DEFAULT_PLUGIN_DIR, dir, { recursive: true });
  const current = readPluginRelease(dir).version;
  const main = path.join(dir, 'agentdesk-chatbot.php');
  writeFileSync(main, readFileSync(main, 'utf8').replaceAll(current, version));
  const readme = path.join(dir, 'readme.txt');
  writeFileSync(
    readme,
    readFileSync(readme, 'utf8')
      .replace(`Stable tag: ${current}`, `Stable tag: ${version}`)
      .replace('== Changelog ==\n', `== Changelog ==\n\n= ${version} =\n* A newer release.\n`),
  );
  return dir;
}
