// whenAvailable (tests/helpers/system.ts): a missing system package is one named failure under CI
// (where .ci/run also counts every skipped test as a failure), and skipped tests with the reason elsewhere.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const test = suite('tests that need a system package');
const FIXTURE = fileURLToPath(new URL('./fixtures/system/missing-package.ts', import.meta.url));

function runFixture(ci: boolean) {
  const env = { ...process.env };
  if (ci) env.CI = 'true';
  else delete env.CI;
  const result = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE], { encoding: 'utf8', env, timeout: 60_000 });
  const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(result.stdout)?.[1]);
  return { output: `${result.stdout}${result.stderr}`, total: count('Total'), passed: count('Passed'), skipped: count('Skipped') };
}

test('under CI: one failing test naming the package, and no skipped ones', () => {
  const run = runFixture(true);
  // one test, failed, none skipped: CI counts 1 failure, not 1 + the suite's size
  assert.equal([run.total, run.passed, run.skipped], [1, 0, 0], run.output);
  assert.match(run.output, 'frobnicator is not installed (apt-get install frobnicator)');
});

test('elsewhere: every test skipped, the reason printed once', () => {
  const run = runFixture(false);
  assert.equal([run.passed, run.skipped], [0, 3], run.output);
  assert.is(run.output.split('skipping: frobnicator is not installed').length - 1, 1);
});

test.run();
