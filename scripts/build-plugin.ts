// `npm run build:plugin`: writes the plugin's two builds (docs/wordpress-plugin.md "Builds") to dist/:
//   dist/agentdesk-chatbot.zip        the direct download (updater, Update URI), as the service serves it,
//                                     and dist/agentdesk-chatbot.zip.sig, its Ed25519 signature (base64)
//   dist/agentdesk-chatbot-wporg.zip  the WordPress.org directory build (no updater, no Update URI)
// Both default to this deployment's API URL: PUBLIC_URL + "/api" (set PUBLIC_URL when building a release).
// The WordPress.org build is refused for a loopback or private PUBLIC_URL; the direct build carries
// PLUGIN_SIGNING_KEY's public key (without it, a copy that refuses every update, with a warning).
// `--dir OUT` also writes each build unzipped under OUT/<variant>/agentdesk-chatbot/ (for the linter).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { buildPluginZip, DEFAULT_PLUGIN_DIR, PLUGIN_SLUG, PluginBuildError, wporgUrlRefusal, writePluginBuild, type PluginVariant } from '../src/plugin/plugin-release.ts';
import { pluginSigningKey, type PluginSigningKey } from '../src/plugin/plugin-signing.ts';

export const DIST_DIR = fileURLToPath(new URL('../dist/', import.meta.url));
export const BUILD_FILES: Record<PluginVariant, string> = { direct: `${PLUGIN_SLUG}.zip`, wporg: `${PLUGIN_SLUG}-wporg.zip` };

/**
 * Writes both zips to `out` (and the direct one's signature when a key is given) and returns their
 * paths and digests. Throws PluginBuildError for an API URL the WordPress.org build may not carry.
 */
export function buildPlugins(apiUrl: string, out = DIST_DIR, pluginDir = DEFAULT_PLUGIN_DIR, key?: PluginSigningKey) {
  const refusal = wporgUrlRefusal(apiUrl);
  if (refusal) {
    throw new PluginBuildError(
      `refusing to build the WordPress.org zip with the API URL ${apiUrl}: ${refusal}. Sites that install it from the directory could never reach it. Set PUBLIC_URL to the service's public https address (PUBLIC_URL=https://desk.example.org npm run build:plugin).`,
    );
  }
  mkdirSync(out, { recursive: true });
  return (Object.keys(BUILD_FILES) as PluginVariant[]).map((variant) => {
    const zip = buildPluginZip(pluginDir, { variant, apiUrl, publicKey: variant === 'direct' ? key?.publicKey : undefined });
    const file = path.join(out, BUILD_FILES[variant]);
    writeFileSync(file, zip.bytes);
    const signature = variant === 'direct' && key ? key.sign(zip.bytes) : undefined;
    if (signature) writeFileSync(`${file}.sig`, `${signature}\n`);
    return { variant, file, sha256: zip.sha256, bytes: zip.bytes.byteLength, signature };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const config = loadConfig(process.env);
  const apiUrl = `${config.publicUrl}/api`;
  const key = config.pluginSigningKey ? pluginSigningKey(config.pluginSigningKey) : undefined;
  if (!key) {
    console.warn(
      'PLUGIN_SIGNING_KEY is not set: dist/agentdesk-chatbot.zip carries no update key and will refuse every update (the service signs what it serves with its own key; give the build the same one).',
    );
  }
  try {
    for (const built of buildPlugins(apiUrl, DIST_DIR, DEFAULT_PLUGIN_DIR, key)) {
      console.log(`wrote ${path.relative(process.cwd(), built.file)} (${built.bytes} bytes, sha256 ${built.sha256}${built.signature ? ', signed' : ''}, API URL ${apiUrl})`);
    }
  } catch (error) {
    if (!(error instanceof PluginBuildError)) throw error;
    console.error(`build:plugin: ${error.message}`);
    process.exit(1);
  }
  const dirIndex = process.argv.indexOf('--dir');
  if (dirIndex > 0 && process.argv[dirIndex + 1]) {
    for (const variant of Object.keys(BUILD_FILES) as PluginVariant[]) {
      console.log(`wrote ${writePluginBuild(DEFAULT_PLUGIN_DIR, path.join(process.argv[dirIndex + 1]!, variant), { variant, apiUrl, publicKey: variant === 'direct' ? key?.publicKey : undefined })}`);
    }
  }
}
