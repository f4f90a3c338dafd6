import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { planRun, runsAlone, workerCount, type TestFile } from './helpers/run-plan.ts';
import { combineCounts, countTests, summarizeRun, summaryLine } from './helpers/run-summary.ts';

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

/** `npm test`'s runner on tests/fixtures/runner, with `workers` workers and any extra arguments. */
function runFixtures(workers: number, ...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'tests/run.ts', '--dir=tests/fixtures/runner', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TEST_WORKERS: String(workers) },
  });
  return { ...run, lines: run.stdout.trim().split('\n') };
}

let fullRun: ReturnType<typeof runFixtures> | undefined;
/** One run of all the fixtures on two workers, shared by the tests that read it (each run takes seconds). */
const runAllFixtures = () => (fullRun ??= runFixtures(2));

/** The printed blocks of a run: each file's name and the lines printed under it. */
function blocks(stdout: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const block of stdout.split(/\n(?=\S+\.test\.ts {2}\()/)) {
    const name = /^(\S+\.test\.ts) {2}\(/.exec(block.trim())?.[1];
    if (name) found.set(name, block);
  }
  return found;
}

test('closes a real run of a known mix with its true counts and a failing exit code', () => {
  const run = runFixtures(2, 'mix');
  // two pass, two fail, one is skipped
  assert.is(run.lines.at(-1), '2 passed, 2 failed, 1 skipped');
  // and CI sees the failure
  assert.is(run.status, 1);
});

test('sums the counts of files run by different workers, and lists each failed file by name', () => {
  const run = runAllFixtures();
  // mix 2/2/1, passing 3/0/0, a crash counts one failure, the alone file 1/0/0
  assert.is(run.lines.at(-1), '6 passed, 3 failed, 1 skipped');
  assert.is(run.status, 1);
  const failed = run.stdout.slice(run.stdout.indexOf('\nFailed:'));
  assert.match(failed, /mix\.test\.ts: 2 failed/);
  // a worker that died inside a file fails that file, with the reason
  assert.match(failed, /crash\.test\.ts: 1 failed \(its worker exited with code 1 during this file\)/);
  assert.not.match(failed, /passing\.test\.ts/);
});

test('prints each file as one block, never mixing two files that ran at the same time', () => {
  const printed = blocks(runAllFixtures().stdout);
  const suites: Record<string, string> = {
    'mix.test.ts': 'a known mix',
    'passing.test.ts': 'a passing file',
    'crash.test.ts': 'a crashing file',
    'alone.test.ts': 'a file that runs alone',
  };
  assert.equal([...printed.keys()].sort(), Object.keys(suites).sort());
  for (const [file, suiteName] of Object.entries(suites)) {
    const block = printed.get(file)!;
    // the file's own suite is in its block, no other file's is
    assert.ok(block.includes(` ${suiteName} `), `${file}: ${block}`);
    for (const other of Object.values(suites)) if (other !== suiteName) assert.not.ok(block.includes(` ${other} `), `${file} holds ${other}`);
  }
  // uvu's per-file totals are folded into the one closing line
  assert.not.match(printed.get('passing.test.ts')!, /Total:/);
});

test('after a worker dies inside a file, a new worker runs the files that are left', () => {
  // one worker only: everything after the crash runs on its replacement
  const run = runFixtures(1);
  assert.is(run.lines.at(-1), '6 passed, 3 failed, 1 skipped');
});

test('runs a file marked alone after the others, and a filter that matches nothing fails', () => {
  const run = runAllFixtures();
  const names = [...blocks(run.stdout).keys()];
  assert.is(names.at(-1), 'alone.test.ts');
  assert.match(run.stdout, /alone\.test\.ts {2}\([\d.]+ s, alone\)/);
  const none = runFixtures(2, 'no-such-file');
  assert.is(none.lines.at(-1), '0 passed, 1 failed, 0 skipped');
  assert.is(none.status, 1);
});

test('fails a run whose file leaves a timer open, naming it, instead of waiting forever', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'tests/run.ts', '--dir=tests/fixtures/runner-leak'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TEST_WORKERS: '1', TEST_EXIT_GRACE_MS: '500' },
  });
  // the test itself passed; the worker that ran it could not end
  assert.is(run.stdout.trim().split('\n').at(-1), '1 passed, 1 failed, 0 skipped');
  assert.match(run.stdout, /worker 1 \(leak\.test\.ts\): exited with code 1 after its last file/);
  assert.match(run.stdout, /held open by: Timeout/);
  assert.is(run.status, 1);
});

const file = (name: string, bytes: number, alone = false): TestFile => ({ name, file: `/t/${name}`, bytes, alone });

test('hands out files longest first, estimating a file with no timing from its size', () => {
  const plan = planRun([file('a.test.ts', 1000), file('b.test.ts', 1000), file('new.test.ts', 4000), file('c.test.ts', 1000, true)], {
    'a.test.ts': 2,
    'b.test.ts': 30,
    'c.test.ts': 5,
  });
  // measured: 32 s over 2000 bytes of a and b, so 4000 new bytes are about 64 s (c runs alone, with its own 5 s)
  assert.equal(
    plan.parallel.map((f) => f.name),
    ['new.test.ts', 'b.test.ts', 'a.test.ts'],
  );
  assert.equal(
    plan.alone.map((f) => f.name),
    ['c.test.ts'],
  );
});

test('reads the alone marker from a line of its own, and TEST_WORKERS as a whole number', () => {
  assert.ok(runsAlone("import x from 'y';\n// test-runner: alone — spawns a process under load\n"));
  assert.not.ok(runsAlone('const note = "// test-runner: alone";\n'));
  assert.is(workerCount('3', 10), 3);
  // never more workers than files
  assert.is(workerCount('8', 2), 2);
  assert.throws(() => workerCount('0', 10), /TEST_WORKERS must be a whole number/);
  assert.throws(() => workerCount('two', 10), /TEST_WORKERS/);
  assert.ok(workerCount(undefined, 100) >= 1);
});

test('sums files without letting an all-skipped file count as "nothing matched"', () => {
  // a file whose only suite is skipped (a missing system package) next to one that ran
  const skippedFile = countTests(uvuSummary(0, 0, 3), true);
  const ranFile = countTests(uvuSummary(2, 2, 0), true);
  assert.is(summaryLine(combineCounts([skippedFile, ranFile])), '2 passed, 0 failed, 3 skipped');
  assert.ok(combineCounts([skippedFile]).noneMatched);
});

test.run();
