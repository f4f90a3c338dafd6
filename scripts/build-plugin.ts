// `npm run build:plugin`: writes the plugin's two builds (docs/wordpress-plugin.md "Builds") to dist/:
//   dist/agentdesk-chatbot.zip        the direct download (updater, Update URI), as the service serves it
//   dist/agentdesk-chatbot-wporg.zip  the WordPress.org directory build (no updater, no Update URI)
// Both default to this deployment's API URL: PUBLIC_URL + "/api" (set PUBLIC_URL when building a release).
// `--dir OUT` also writes each build unzipped under OUT/<variant>/agentdesk-chatbot/ (for the linter).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { buildPluginZip, DEFAULT_PLUGIN_DIR, PLUGIN_SLUG, writePluginBuild, type PluginVariant } from '../src/plugin/plugin-release.ts';

export const DIST_DIR = fileURLToPath(new URL('../dist/', import.meta.url));
export const BUILD_FILES: Record<PluginVariant, string> = { direct: `${PLUGIN_SLUG}.zip`, wporg: `${PLUGIN_SLUG}-wporg.zip` };

/** Writes both zips to `out` and returns their paths and digests. */
export function buildPlugins(apiUrl: string, out = DIST_DIR, pluginDir = DEFAULT_PLUGIN_DIR) {
  mkdirSync(out, { recursive: true });
  return (Object.keys(BUILD_FILES) as PluginVariant[]).map((variant) => {
    const zip = buildPluginZip(pluginDir, { variant, apiUrl });
    const file = path.join(out, BUILD_FILES[variant]);
    writeFileSync(file, zip.bytes);
    return { variant, file, sha256: zip.sha256, bytes: zip.bytes.byteLength };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const apiUrl = `${loadConfig(process.env).publicUrl}/api`;
  for (const built of buildPlugins(apiUrl)) {
    console.log(`wrote ${path.relative(process.cwd(), built.file)} (${built.bytes} bytes, sha256 ${built.sha256}, API URL ${apiUrl})`);
  }
  const dirIndex = process.argv.indexOf('--dir');
  if (dirIndex > 0 && process.argv[dirIndex + 1]) {
    for (const variant of Object.keys(BUILD_FILES) as PluginVariant[]) {
      console.log(`wrote ${writePluginBuild(DEFAULT_PLUGIN_DIR, path.join(process.argv[dirIndex + 1]!, variant), { variant, apiUrl })}`);
    }
  }
}
