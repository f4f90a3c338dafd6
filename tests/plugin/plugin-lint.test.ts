// The plugin's builds under PHP_CodeSniffer (docs/wordpress-plugin.md "Lint"): 0 errors for the WordPress.org build under
// Plugin Check's ruleset, PHPCompatibility 7.4+ and the WordPress standard, and for the direct build
// under the WordPress standard, and Plugin Check's readme and header rules for both. Skips with the reason where the PHPCS kit is missing, fails under CI.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lintPluginBuilds, phpcsMissing } from '../../scripts/lint-plugin.ts';
import { commandWorks, whenAvailable } from '../helpers/system.ts';

const test = suite('WordPress plugin lint');
const it = whenAvailable(test, commandWorks('php', ['-v']) ? phpcsMissing() : 'php-cli is not installed (phpcs needs it)');

it('reports 0 errors for both builds under every standard', () => {
  const runs = lintPluginBuilds();
  // four phpcs checks and Plugin Check's readme and header rules on each build ran
  assert.is(runs.length, 6);
  for (const run of runs) {
    // phpcs's own report on failure
    assert.ok(run.ok, `${run.variant} build, ${run.standard}:\n${run.report}`);
  }
});

test.run();
