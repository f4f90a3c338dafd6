import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { answerOf, currentDiagnosis, diagnosisOf, judgeProbe, nudgeUrl, probeReady, type ProbeAnswer } from '../../src/domain/probe-diagnosis.ts';

const CONFIRM = 2 * 60_000;
const test = suite('probe diagnosis rules');

const answers: Record<string, ProbeAnswer> = {
  refused: { kind: 'no_answer', error: 'connection refused (shop.example.com:443, ECONNREFUSED)' },
  dns: { kind: 'no_answer', error: 'DNS lookup failed for gone.example.com (ENOTFOUND)' },
  timeout: { kind: 'no_answer', error: 'no complete answer within 10 s' },
  tls: { kind: 'no_answer', error: 'TLS error (shop.example.com, CERT_HAS_EXPIRED)' },
  http200: { kind: 'http', status: 200 },
  http302: { kind: 'http', status: 302 },
  http404: { kind: 'http', status: 404 },
  http401: { kind: 'http', status: 401 },
  http403: { kind: 'http', status: 403 },
  http429: { kind: 'http', status: 429 },
  http500: { kind: 'http', status: 500 },
  http503: { kind: 'http', status: 503 },
  refusedByRules: { kind: 'not_probed', reason: 'our safety rules do not allow requesting this address (the address is in a private range)' },
  off: { kind: 'not_probed', reason: 'probing is turned off on this AgentDesk (PROBE=off)' },
};

test('any answer followed by a heartbeat is "woke": the site stays connected and the owner is not told', () => {
  for (const [name, answer] of Object.entries(answers)) {
    const verdict = judgeProbe(answer, true, CONFIRM);
    // woke, no diagnosis sentence, and the event says so
    assert.is(verdict.result, 'woke', name);
    assert.is(verdict.detail, null, name);
    assert.is(verdict.event.woke, true, name);
  }
});

test('no heartbeat: no answer or a 5xx is site_down, 2xx/3xx plugin_silent, 401/403/429 probe_blocked, refused or off not_probed', () => {
  const expected: Record<string, string> = {
    refused: 'site_down',
    dns: 'site_down',
    timeout: 'site_down',
    tls: 'site_down',
    http500: 'site_down',
    http503: 'site_down',
    http200: 'plugin_silent',
    http302: 'plugin_silent',
    http404: 'plugin_silent',
    http401: 'probe_blocked',
    http403: 'probe_blocked',
    http429: 'probe_blocked',
    refusedByRules: 'not_probed',
    off: 'not_probed',
  };
  for (const [name, result] of Object.entries(expected)) {
    const verdict = judgeProbe(answers[name]!, false, CONFIRM);
    // the table of docs/contract.md "Telling silence from failure", row by row
    assert.is(verdict.result, result, name);
    assert.is(diagnosisOf(answers[name]!), result, name);
    assert.is(verdict.event.woke, false, name);
  }
});

test('the detail keeps the error in words, and the event carries http_status or error', () => {
  const down = judgeProbe(answers.refused!, false, CONFIRM);
  // the network error, verbatim
  assert.match(down.detail!, 'Your site did not answer: connection refused (shop.example.com:443, ECONNREFUSED).');
  assert.equal(down.event, { result: 'site_down', error: 'connection refused (shop.example.com:443, ECONNREFUSED)', woke: false });
  const error = judgeProbe(answers.http503!, false, CONFIRM);
  // a server error names its status
  assert.match(error.detail!, 'server error (HTTP 503)');
  assert.equal(error.event, { result: 'site_down', http_status: 503, woke: false });
  const silent = judgeProbe(answers.http200!, false, CONFIRM);
  // how long we waited, in words
  assert.match(silent.detail!, 'WordPress answered (HTTP 200)');
  assert.match(silent.detail!, 'within 2 minutes');
  const blocked = judgeProbe(answers.http403!, false, CONFIRM);
  assert.match(blocked.detail!, 'firewall');
  const notProbed = judgeProbe(answers.refusedByRules!, false, CONFIRM);
  // why nothing was requested
  assert.match(notProbed.detail!, 'We did not check the site: our safety rules do not allow requesting this address (the address is in a private range).');
  const woke = judgeProbe(answers.http200!, true, CONFIRM);
  assert.equal(woke.event, { result: 'woke', http_status: 200, woke: true });
});

test('a diagnosis is shown only while the site is stale', () => {
  // stale: shown; connected again or never diagnosed: null
  assert.is(currentDiagnosis({ connection_status: 'stale', diagnosis: 'site_down' }), 'site_down');
  assert.is(currentDiagnosis({ connection_status: 'connected', diagnosis: 'site_down' }), null);
  assert.is(currentDiagnosis({ connection_status: 'stale', diagnosis: null }), null);
  assert.is(currentDiagnosis({ connection_status: 'stale', diagnosis: 'nonsense' }), null);
});

test('the nudge requests wp-cron.php under the site URL, in a subfolder too', () => {
  // WordPress's own cron URL, without a lock value (see nudgeUrl)
  assert.is(nudgeUrl('https://shop.example.com'), 'https://shop.example.com/wp-cron.php?doing_wp_cron');
  assert.is(nudgeUrl('https://example.com/blog/'), 'https://example.com/blog/wp-cron.php?doing_wp_cron');
  assert.is(nudgeUrl('http://example.com:8080/wp?x=1#top'), 'http://example.com:8080/wp/wp-cron.php?doing_wp_cron');
});

test('a probe is judged PROBE_CONFIRM after its answer, at once when nothing was requested, and given up on when it never completes', () => {
  const t0 = new Date('2026-01-05T10:00:00Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const answered = { answer: answers.http200!, answered_at: t0, created_at: t0 };
  // waits the full confirm window
  assert.is(probeReady(answered, at(CONFIRM - 1), CONFIRM, 10 * CONFIRM), false);
  assert.is(probeReady(answered, at(CONFIRM), CONFIRM, 10 * CONFIRM), true);
  // a refused address has nothing to wait for
  assert.is(probeReady({ answer: answers.refusedByRules!, answered_at: t0, created_at: t0 }, t0, CONFIRM, 10 * CONFIRM), true);
  const stuck = { answer: null, answered_at: null, created_at: t0 };
  // an unanswered probe waits until the give-up time, then counts as not probed
  assert.is(probeReady(stuck, at(10 * CONFIRM - 1), CONFIRM, 10 * CONFIRM), false);
  assert.is(probeReady(stuck, at(10 * CONFIRM), CONFIRM, 10 * CONFIRM), true);
  assert.is(judgeProbe(answerOf(stuck), false, CONFIRM).result, 'not_probed');
});

test.run();
