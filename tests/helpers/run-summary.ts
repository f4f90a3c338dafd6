// The closing line of `npm test` ("N passed, N failed, N skipped"), read from uvu's summaries.
// uvu prints Total (the tests that ran: skipped ones are not in it), Passed and Skipped, and no
// failed count, so failed = Total − Passed. Each test file runs on its own in a worker and prints
// its own summary; the run's line is the sum over files.

export interface FileCounts {
  passed: number;
  failed: number;
  skipped: number;
}

export interface RunSummary extends FileCounts {
  /** Nothing ran although the run ended well: a filter that matched no file. */
  noneMatched: boolean;
}

/**
 * The counts of one uvu summary and whether its run ended well (`ok`: exit code 0, or a file's
 * run without failed tests). A crash before the summary is a failure even if nothing was counted.
 */
export function countTests(output: string, ok: boolean): FileCounts {
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  // Tests left out for a missing system package are counted by uvu as skipped (tests/helpers/system.ts).
  const skipped = count('Skipped');
  let failed = total - passed;
  // A crash before the summary (or a hang cut short) is a failure even if nothing was counted.
  if (!ok && failed === 0) failed = 1;
  return { passed, failed, skipped };
}

/** The run's counts from its files' counts; a run in which nothing ran and nothing failed is a failure. */
export function combineCounts(files: FileCounts[]): RunSummary {
  const sum = (key: keyof FileCounts) => files.reduce((total, file) => total + file[key], 0);
  const passed = sum('passed');
  let failed = sum('failed');
  const skipped = sum('skipped');
  const noneMatched = passed === 0 && failed === 0;
  if (noneMatched) failed = 1;
  return { passed, failed, skipped, noneMatched };
}

/** The counts of one run from uvu's output and the process's exit code. */
export function summarizeRun(output: string, exitCode: number | null): RunSummary {
  return combineCounts([countTests(output, exitCode === 0)]);
}

export const summaryLine = (summary: RunSummary) => `${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`;
