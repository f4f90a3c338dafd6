// The closing line of `npm test` ("N passed, N failed, N skipped"), read from uvu's summary.
// uvu prints Total (the tests that ran: skipped ones are not in it), Passed and Skipped, and no
// failed count, so failed = Total − Passed.

export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Nothing ran although the run ended well: a filter that matched no file. */
  noneMatched: boolean;
}

/** The counts of one run from uvu's output and the process's exit code. */
export function summarizeRun(output: string, exitCode: number | null): RunSummary {
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  // Tests left out for a missing system package are counted by uvu as skipped (tests/helpers/system.ts).
  const skipped = count('Skipped');
  let failed = total - passed;
  // A crash before the summary (or a hang cut short) is a failure even if nothing was counted.
  if (exitCode !== 0 && failed === 0) failed = 1;
  const noneMatched = total === 0 && exitCode === 0;
  if (noneMatched) failed = 1;
  return { passed, failed, skipped, noneMatched };
}

export const summaryLine = (summary: RunSummary) => `${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`;
