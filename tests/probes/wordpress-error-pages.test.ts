// Down means down: WordPress's "database connection" and "critical error" pages are site_down,
// whatever status the web server put on them, and the owner is told which page it was.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { judgeProbe, wordpressErrorPage } from '../../src/domain/probe-diagnosis.ts';
import { answerFromOutcome } from '../../src/probes/probe-worker.ts';
import type { SafeOutcome } from '../../src/outbound/safe-request.ts';

const test = suite('WordPress error pages in a probe answer');

// The pages as WordPress 6.1 prints them (wp_die around dead_db(), and the fatal error handler).
const DATABASE_PAGE = '<!DOCTYPE html><html><head><title>Database Error</title></head><body id="error-page"><div class="wp-die-message"><h1>Error establishing a database connection</h1></div></body></html>';
const CRITICAL_PAGE = '<!DOCTYPE html><html><body id="error-page"><div class="wp-die-message"><p>There has been a critical error on this website.</p><p><a href="https://wordpress.org/documentation/article/faq-troubleshooting/">Learn more about troubleshooting WordPress.</a></p></div></body></html>';

const response = (status: number, body: string): SafeOutcome =>
  ({ kind: 'response', status, headers: {}, body: Buffer.from(body), truncated: false, address: '127.0.0.1' }) as SafeOutcome;

const rows: Array<[string, SafeOutcome, string, RegExp]> = [
  ['the database page with HTTP 500', response(500, DATABASE_PAGE), 'site_down', /"Error establishing a database connection" page \(HTTP 500\): WordPress runs, but its database does not answer/],
  ['the database page with HTTP 200 (a cache rewrote the status)', response(200, DATABASE_PAGE), 'site_down', /database connection" page \(HTTP 200\)/],
  ['the critical error page with HTTP 500', response(500, CRITICAL_PAGE), 'site_down', /"There has been a critical error on this website" page \(HTTP 500\)/],
  ['the critical error page with HTTP 200', response(200, CRITICAL_PAGE), 'site_down', /critical error on this website" page \(HTTP 200\)/],
  ['any other 500 stays a plain server error', response(500, '<h1>Internal Server Error</h1>'), 'site_down', /answered with a server error \(HTTP 500\)/],
  ['an ordinary 200 stays plugin_silent', response(200, ''), 'plugin_silent', /WordPress answered \(HTTP 200\)/],
  ['a 403 that quotes the sentence stays probe_blocked (a firewall page, not WordPress)', response(403, DATABASE_PAGE), 'probe_blocked', /refused our check/],
];

for (const [sentence, outcome, result, detail] of rows) {
  test(sentence, () => {
    const verdict = judgeProbe(answerFromOutcome(outcome), false, 120_000);
    // the diagnosis and the sentence the owner reads
    assert.is(verdict.result, result);
    assert.match(verdict.detail!, detail);
  });
}

test('the probe event names the page', () => {
  const verdict = judgeProbe(answerFromOutcome(response(500, DATABASE_PAGE)), false, 120_000);
  // recorded with the status
  assert.equal(verdict.event, { result: 'site_down', http_status: 500, page: 'database_error', woke: false });
});

test('a heartbeat after the nudge still means the site woke, whatever the page said', () => {
  // the rule of the heartbeat first
  assert.is(judgeProbe(answerFromOutcome(response(500, DATABASE_PAGE)), true, 120_000).result, 'woke');
});

test('a body that is no error page is none', () => {
  assert.is(wordpressErrorPage('<html>Welcome to my shop</html>'), undefined);
});

test.run();
