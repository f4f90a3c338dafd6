// Suites that need a system package (php, promtool, chromium, …) skip with a one-line reason where
// it is missing — except under CI (.ci/run installs them), where a missing package is a failure.
import { spawnSync } from 'node:child_process';
import * as assert from 'uvu/assert';

export const underCi = Boolean(process.env.CI);

export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * True when the condition holds. Otherwise prints "skip <suite>: <reason>" and returns false, so the
 * caller leaves its tests out; under CI it throws instead, failing the run.
 */
export function skipUnless(condition: boolean, suiteName: string, reason: string): boolean {
  if (condition) return true;
  if (underCi) assert.unreachable(`${suiteName} cannot run under CI: ${reason}`);
  console.log(`skip ${suiteName}: ${reason}`);
  return false;
}
