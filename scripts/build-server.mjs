// The compiled service (docs/architecture.md "Build"): `tsc -p tsconfig.build.json` turns src/ into
// plain JavaScript in build/, which `npm start` and bin/agentdesk.js run without a TypeScript loader.
// Plain JavaScript itself, so it runs before anything is compiled.
//
//   node scripts/build-server.mjs           build/ when it is missing or older than src/ (npm's
//                                           "prepare" after `npm ci`, and "prestart")
//   node scripts/build-server.mjs --force   always rebuild (`npm run build`)
//
// Fresh means: build/.built (written after a successful compile) is newer than every file under
// src/ and than the two tsconfig files. A stale build is removed first, so no module deleted from
// src/ lingers in build/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUILD_DIR = path.join(ROOT, 'build');
const STAMP = path.join(BUILD_DIR, '.built');
const INPUTS = [path.join(ROOT, 'src'), path.join(ROOT, 'tsconfig.json'), path.join(ROOT, 'tsconfig.build.json')];

/** The newest modification time (ms) under the given files and folders. */
function newestMtime(paths) {
  let newest = 0;
  const visit = (file) => {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) for (const name of fs.readdirSync(file)) visit(path.join(file, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const file of paths) if (fs.existsSync(file)) visit(file);
  return newest;
}

/** Whether build/ holds the compiled form of the current src/. */
export function buildIsCurrent() {
  try {
    return fs.statSync(STAMP).mtimeMs >= newestMtime(INPUTS);
  } catch {
    return false; // never built
  }
}

/** Compiles src/ into a fresh build/ (or into `outDir`); throws with tsc's output when it fails. */
export function buildServer({ outDir = BUILD_DIR } = {}) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  fs.rmSync(outDir, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tsc failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  fs.writeFileSync(path.join(outDir, '.built'), `${new Date().toISOString()}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const force = process.argv.includes('--force');
  if (force || !buildIsCurrent()) {
    const started = Date.now();
    try {
      buildServer();
    } catch (error) {
      console.error(`build-server: ${error.message}`);
      process.exit(1);
    }
    console.error(`build-server: compiled src/ into build/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
