// Suites that need a system package (promtool, prometheus…) skip with a one-line reason when it is
// missing, except under CI (process.env.CI set), where the missing package makes them fail.
import { execFileSync } from 'node:child_process';

/** The absolute path of an executable on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when the suite should run. When the tool is missing outside CI, prints why the suite is
 * skipped and returns false; under CI it returns true so the suite runs and fails loudly.
 */
export function requireTool(name: string, suiteName: string, apt: string): boolean {
  if (findExecutable(name)) return true;
  if (process.env.CI) return true;
  console.log(`skipping "${suiteName}": ${name} is not installed (apt-get install ${apt})`);
  return false;
}
