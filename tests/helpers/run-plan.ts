// Which test file runs where and in what order, for tests/run.ts. Files go to workers longest
// first (each worker takes the next file when it is free), so the long ones do not end up last on
// one worker while the others idle. Durations come from tests/timings.json; a file not in it yet
// is estimated from its size at the suite's average seconds per byte.
import os from 'node:os';

export interface TestFile {
  /** Path relative to the test folder, as uvu names it ("alerts/delivery.test.ts"). */
  name: string;
  /** Absolute path. */
  file: string;
  bytes: number;
  /** Declared with ALONE_MARKER: runs while no other file runs. */
  alone: boolean;
}

/**
 * A line a test file starts with to run while no other test file runs, followed by the reason:
 * for suites whose own timing bounds (a process's exit within 10 s, a browser waiting for a
 * poll) should not compete with other files for the machine's few cores.
 */
export const ALONE_MARKER = '// test-runner: alone';

export const runsAlone = (source: string) => source.split('\n').some((line) => line.startsWith(ALONE_MARKER));

/** Seconds per file: measured where known, otherwise estimated from the file's size. */
export function estimateSeconds(files: Pick<TestFile, 'name' | 'bytes'>[], timings: Record<string, number>): Map<string, number> {
  const known = files.filter((file) => typeof timings[file.name] === 'number');
  const knownBytes = known.reduce((sum, file) => sum + file.bytes, 0);
  const knownSeconds = known.reduce((sum, file) => sum + timings[file.name]!, 0);
  // With nothing measured yet, about a second per 4 KB of test code (this suite's order of magnitude).
  const perByte = knownBytes > 0 && knownSeconds > 0 ? knownSeconds / knownBytes : 1 / 4096;
  return new Map(files.map((file) => [file.name, timings[file.name] ?? file.bytes * perByte]));
}

export interface RunPlan {
  /** Files shared among the workers, longest first. */
  parallel: TestFile[];
  /** Files run one at a time after the parallel ones, longest first. */
  alone: TestFile[];
  seconds: Map<string, number>;
}

export function planRun(files: TestFile[], timings: Record<string, number>): RunPlan {
  const seconds = estimateSeconds(files, timings);
  const longestFirst = (a: TestFile, b: TestFile) => seconds.get(b.name)! - seconds.get(a.name)! || a.name.localeCompare(b.name);
  return {
    parallel: files.filter((file) => !file.alone).sort(longestFirst),
    alone: files.filter((file) => file.alone).sort(longestFirst),
    seconds,
  };
}

/** How long a worker may take to exit after its last file before it counts as held open (TEST_EXIT_GRACE_MS for the runner's own test). */
export const EXIT_GRACE_MS = Number(process.env.TEST_EXIT_GRACE_MS) || 60_000;

/** TEST_WORKERS (a whole number ≥ 1), else one worker per core; never more workers than files. */
export function workerCount(setting: string | undefined, files: number): number {
  let wanted = os.availableParallelism();
  if (setting !== undefined && setting !== '') {
    if (!/^[1-9]\d*$/.test(setting)) throw new Error(`TEST_WORKERS must be a whole number of at least 1, got "${setting}"`);
    wanted = Number(setting);
  }
  return Math.max(1, Math.min(wanted, files));
}
