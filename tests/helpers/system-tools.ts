// System packages some suites need (php, xgettext, MariaDB…). Missing: the suite skips with a
// one-line reason, except under CI, where a missing package must fail the run.
import { spawnSync } from 'node:child_process';
import type { Test } from 'uvu';

/** Whether `command args…` runs and exits 0. */
export function commandWorks(command: string, args: string[] = ['--version']): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 });
  return result.status === 0;
}

/**
 * The test function to register tests with: `test` itself when `missing` is undefined; otherwise,
 * outside CI, `test.skip` (after printing why), and under CI a test that fails with the reason.
 */
export function whenAvailable<T>(test: Test<T>, missing: string | undefined): (name: string, fn: (context: T) => unknown) => void {
  if (missing === undefined) return (name, fn) => test(name, fn as never);
  if (process.env.CI) {
    test(`required system package is installed (${missing})`, () => {
      throw new Error(`CI requires it: ${missing}`);
    });
  } else {
    console.log(`skipping: ${missing}`);
  }
  return (name, fn) => test.skip(name, fn as never);
}
