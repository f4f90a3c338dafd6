import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { summarizeRun, summaryLine } from './helpers/run-summary.ts';

const test = suite('the test runner');
const root = fileURLToPath(new URL('..', import.meta.url));

const uvuSummary = (total: number, passed: number, skipped: number) =>
  `\n  Total:     ${total}\n  Passed:    ${passed}\n  Skipped:   ${skipped}\n  Duration:  1.00ms\n`;

test('counts failures as Total minus Passed: uvu leaves skipped tests out of Total', () => {
  // the run that printed "197 passed, -1 failed, 1 skipped"
  assert.is(summaryLine(summarizeRun(uvuSummary(197, 197, 1), 0)), '197 passed, 0 failed, 1 skipped');
  // two failures next to one skip are two failures, not one
  assert.is(summaryLine(summarizeRun(uvuSummary(4, 2, 1), 1)), '2 passed, 2 failed, 1 skipped');
});

test('counts a crash before the summary, and a filter matching nothing, as a failure', () => {
  // the process died with nothing counted
  assert.is(summarizeRun('', 1).failed, 1);
  // nothing ran, though the process ended well
  const none = summarizeRun(uvuSummary(0, 0, 0), 0);
  assert.ok(none.noneMatched);
  assert.is(none.failed, 1);
});

test('closes a real run of a known mix with its true counts and a failing exit code', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'tests/run.ts', '--dir=tests/fixtures/runner'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = run.stdout.trim().split('\n');
  // two pass, two fail, one is skipped
  assert.is(lines.at(-1), '2 passed, 2 failed, 1 skipped');
  // and CI sees the failure
  assert.is(run.status, 1);
});

test.run();
