// Run by .ci/run before `npm run test:wordpress`: when something the end-to-end suites need is
// missing (a system package, MariaDB, Debian's chromium, the php-wasm packages), says so once,
// naming it, with the closing line "0 passed, 1 failed", and exits 1, so the suites are not run
// to report the same cause as a failure in every test.
import { existsSync } from 'node:fs';
import { wasmWordPressUnavailable } from './wasm-wordpress.ts';
import { wordpressUnavailable } from './wordpress-site.ts';

/** The browser the widget check drives (tests/wordpress/wordpress.e2e.ts). */
const CHROMIUM = '/usr/bin/chromium';

const missing = wordpressUnavailable() ?? wasmWordPressUnavailable() ?? (existsSync(CHROMIUM) ? undefined : `Debian's chromium is not installed at ${CHROMIUM} (apt-get install chromium)`);
if (missing) {
  console.log(`WordPress end-to-end cannot run: ${missing}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log('WordPress end-to-end: php, its extensions, wordpress, the theme, MariaDB, chromium and php-wasm are all here');
