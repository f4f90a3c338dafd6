// `npm test`: runs every tests/**/*.test.ts with uvu in one process and ends with the line CI reads:
// "N passed, N failed, N skipped". Extra arguments filter files: `npm test -- heartbeat`.
// `--dir=DIR` runs another folder of suites (tests/runner.test.ts feeds it tests/fixtures/runner).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { summarizeRun, summaryLine } from './helpers/run-summary.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
// `--e2e` runs the end-to-end suites (`*.e2e.ts`, e.g. `npm run test:wordpress`) instead of `*.test.ts`.
const e2e = args.includes('--e2e');
const dir = args.find((arg) => arg.startsWith('--dir='))?.slice('--dir='.length) ?? 'tests';
const filter = args.find((arg) => !arg.startsWith('--')) ?? '';
const suffix = e2e ? '\\.e2e\\.ts$' : '\\.test\\.ts$';
const pattern = filter ? `^(?=.*${filter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}).*${suffix}` : suffix;

// tests/fixtures/ holds suites that fail on purpose: only their own test runs them.
const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', dir, pattern, '--no-color', '-i', '^fixtures/'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});

let output = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk: string) => {
  output += chunk;
  process.stdout.write(chunk);
});

child.on('close', (code) => {
  const summary = summarizeRun(output, code);
  if (summary.noneMatched) console.log('no tests matched');
  console.log(summaryLine(summary));
  process.exitCode = summary.failed > 0 ? 1 : 0;
});
