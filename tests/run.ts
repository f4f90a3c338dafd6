// `npm test`: runs every tests/**/*.test.ts with uvu in one process and ends with the line CI reads:
// "N passed, N failed, N skipped". Extra arguments filter files: `npm test -- heartbeat`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--e2e` runs the end-to-end suites (`*.e2e.ts`, e.g. `npm run test:wordpress`) instead of `*.test.ts`.
const e2e = process.argv.includes('--e2e');
const filter = process.argv.slice(2).find((arg) => arg !== '--e2e') ?? '';
const suffix = e2e ? '\\.e2e\\.ts$' : '\\.test\\.ts$';
const pattern = filter ? `^(?=.*${filter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}).*${suffix}` : suffix;

const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'tests', pattern, '--no-color'], {
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
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  const count = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  // Tests left out for a missing system package are counted by uvu as skipped (tests/helpers/system.ts).
  const skipped = count('Skipped');
  let failed = total - passed - skipped;
  // A crash before the summary (or a hang cut short) is a failure even if nothing was counted.
  if (code !== 0 && failed === 0) failed = 1;
  if (total === 0 && code === 0) {
    console.log('no tests matched');
    failed = 1;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exitCode = failed > 0 ? 1 : 0;
});
