// Suites that need a system package (php, promtool, chromium, xgettext, …) skip with a one-line
// reason where it is missing — except under CI (.ci/run installs them), where it must fail.
import { execFileSync, spawnSync } from 'node:child_process';
import net from 'node:net';
import { suite, type Test } from 'uvu';

export const underCi = Boolean(process.env.CI);

/** The absolute path of an executable on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether `command args…` runs and exits 0. */
export function commandWorks(command: string, args: string[] = ['--version']): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** Why a command is unusable ("promtool is not installed (apt-get install prometheus)"), or undefined. */
export function missingCommand(name: string, aptPackage: string): string | undefined {
  return findExecutable(name) ? undefined : `${name} is not installed (apt-get install ${aptPackage})`;
}

/**
 * The function to register tests with: `test` itself when nothing is missing; otherwise, outside
 * CI, `test.skip` (after printing why), and under CI one test that fails with the reason and no
 * other (CI counts a skipped test as a failure: the missing package must be one failure, not one per test).
 */
export function whenAvailable<T>(test: Test<T>, missing: string | undefined): (name: string, fn: (context: T) => unknown) => void {
  if (missing === undefined) return (name, fn) => test(name, fn as never);
  if (underCi) {
    test(`required system package is installed (${missing})`, () => {
      throw new Error(`CI requires it: ${missing}`);
    });
    return () => {};
  }
  console.log(`skipping: ${missing}`);
  return (name, fn) => test.skip(name, fn as never);
}

/**
 * For suites whose hooks need the package: true when the suite should run (the package is there,
 * or we are under CI, where it then fails loudly). Otherwise reports one skipped test with the
 * reason and returns false, so the caller neither registers hooks nor runs the suite.
 */
export function suiteCanRun(suiteName: string, missing: string | undefined): boolean {
  if (missing === undefined || underCi) return true;
  console.log(`skipping "${suiteName}": ${missing}`);
  const skipped = suite(suiteName);
  skipped.skip(missing, () => {});
  skipped.run();
  return false;
}

/** A free TCP port on `host` (the OS's pick, released for the caller to bind). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
