// `npm run lint:plugin`: PHP_CodeSniffer over both builds of the plugin, as written to a temp folder,
// with the PHPCS kit's `run` (docs/wordpress-plugin.md "Lint"; WordPress standards, PHPCompatibility, Plugin Check's ruleset;
// not on any reachable registry, so kept beside the repository). Errors fail; warnings are printed.
//   - the WordPress.org build: Plugin Check's ruleset, PHPCompatibility 7.4+, and the WordPress standard;
//   - the direct build: the WordPress standard (it only adds the updater and the Update URI header);
//   - both: Plugin Check's readme and plugin-header rules (scripts/plugin-check-rules.ts; PHP code in Plugin Check, not sniffs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PLUGIN_DIR, PLUGIN_SLUG, pluginBuildFiles, writePluginBuild, type PluginVariant } from '../src/plugin/plugin-release.ts';
import { headerProblems, newestTestedWordPress, readmeProblems } from './plugin-check-rules.ts';

/**
 * Where the tool is: AGENTDESK_PHPCS_TOOL, else shared/tools/phpcs in the folder above the repository, else
 * the workplace's copy at /work/shared (a CI clone may live anywhere on the machine).
 */
const CANDIDATES = [fileURLToPath(new URL('../../shared/tools/phpcs/', import.meta.url)), '/work/shared/tools/phpcs/'];
export const PHPCS_TOOL =
  process.env.AGENTDESK_PHPCS_TOOL ?? CANDIDATES.find((dir) => existsSync(path.join(dir, 'run'))) ?? CANDIDATES[0]!;
const RUN = path.join(PHPCS_TOOL, 'run');
const API_URL = 'https://agentdesk.invalid/api';

export function phpcsMissing(): string | undefined {
  return existsSync(RUN) ? undefined : `the PHP_CodeSniffer bundle is not at ${RUN} (set AGENTDESK_PHPCS_TOOL)`;
}

export interface LintRun {
  variant: PluginVariant;
  standard: string;
  ok: boolean;
  report: string;
}

const CHECKS: { variant: PluginVariant; standard: string; args: string[] }[] = [
  { variant: 'wporg', standard: 'Plugin Check', args: [`--standard=${path.join(PHPCS_TOOL, 'plugin-check/phpcs-rulesets/plugin-review.xml')}`] },
  { variant: 'wporg', standard: 'PHPCompatibility 7.4+', args: ['--standard=PHPCompatibility', '--runtime-set', 'testVersion', '7.4-'] },
  { variant: 'wporg', standard: 'WordPress', args: ['--standard=WordPress'] },
  { variant: 'direct', standard: 'WordPress', args: ['--standard=WordPress'] },
];

/** Plugin Check's readme and header rules (scripts/plugin-check-rules.ts) over one build's files. */
export function checkReadmeAndHeaders(pluginDir: string, variant: PluginVariant): LintRun {
  const files = pluginBuildFiles(pluginDir, { variant, apiUrl: API_URL });
  const main = files.get(`${PLUGIN_SLUG}.php`)!.toString('utf8');
  const problems = [
    ...readmeProblems(files.get('readme.txt')?.toString('utf8'), main, newestTestedWordPress()),
    ...headerProblems(main, [...files.keys()], PLUGIN_SLUG, variant === 'direct'),
  ];
  return { variant, standard: "Plugin Check's readme and header rules", ok: problems.length === 0, report: problems.map((p) => `${p.code}: ${p.message}`).join('\n') };
}

/** Lints both builds; `-n` leaves warnings out of the verdict (the bar is 0 errors). */
export function lintPluginBuilds(pluginDir = DEFAULT_PLUGIN_DIR): LintRun[] {
  const out = mkdtempSync(path.join(os.tmpdir(), 'agentdesk-lint-'));
  try {
    const roots = {
      wporg: writePluginBuild(pluginDir, path.join(out, 'wporg'), { variant: 'wporg', apiUrl: API_URL }),
      direct: writePluginBuild(pluginDir, path.join(out, 'direct'), { variant: 'direct', apiUrl: API_URL }),
    };
    return [
      ...CHECKS.map(({ variant, standard, args }) => {
        const result = spawnSync(RUN, [roots[variant], ...args, '-n'], { encoding: 'utf8', timeout: 120_000 });
        return { variant, standard, ok: result.status === 0, report: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
      }),
      checkReadmeAndHeaders(pluginDir, 'wporg'),
      checkReadmeAndHeaders(pluginDir, 'direct'),
    ];
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const missing = phpcsMissing();
  if (missing) {
    console.error(missing);
    process.exit(1);
  }
  let failed = 0;
  for (const run of lintPluginBuilds()) {
    console.log(`${run.ok ? 'ok  ' : 'FAIL'} ${run.variant} build, ${run.standard}${run.ok ? '' : `\n${run.report}`}`);
    if (!run.ok) failed++;
  }
  process.exit(failed ? 1 : 0);
}
