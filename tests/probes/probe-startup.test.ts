// The service as production runs it: PROBE_ALLOW_PRIVATE is announced as a warning at start, and
// /metrics exposes the probe metrics from the first scrape.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startService } from '../helpers/service-process.ts';

const test = suite('probes at service start');

const warnings = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((entry) => entry.level === 40)
    .map((entry) => entry.msg);

test('PROBE_ALLOW_PRIVATE=true is logged as a warning at start, and only then', async () => {
  const lifted = await startService({ PROBE_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'info' });
  const fenced = await startService({ LOG_LEVEL: 'info' });
  try {
    // a warning naming the variable and what it allows
    assert.ok(warnings(lifted.stdout()).some((msg) => /PROBE_ALLOW_PRIVATE=true: .*loopback and private addresses/.test(msg)), lifted.stdout());
    // none by default
    assert.not.ok(warnings(fenced.stdout()).some((msg) => msg.includes('PROBE_ALLOW_PRIVATE')));
    const metrics = await (await fetch(`${fenced.url}/metrics`)).text();
    // every result at zero from the first scrape, and the duration histogram
    for (const result of ['woke', 'site_down', 'plugin_silent', 'probe_blocked', 'not_probed']) {
      assert.match(metrics, `agentdesk_probes_total{result="${result}"} 0`);
    }
    assert.match(metrics, 'agentdesk_probe_duration_seconds_count 0');
  } finally {
    await lifted.stop();
    await fenced.stop();
  }
});

test.run();
