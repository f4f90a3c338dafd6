// Runs one autocannon phase in its own process, so the load generator does not share the server's
// event loop (it still shares the machine's cores, as any local load tool would).
// stdin: { url, connections, duration, amount?, overallRate?, tokens? } as JSON — with tokens, POST
// heartbeats rotating over them (the same request for the service and the bare baseline); without,
// GET url. With amount, the phase ends after that many requests instead of after duration.
// stdout: the phase's figures as JSON, with the load generator's own CPU time (it shares the
// machine's cores with what it measures).
import fs from 'node:fs';
import autocannon from 'autocannon';

const phase = JSON.parse(fs.readFileSync(0, 'utf8'));
let next = 0;
const body = JSON.stringify({ site_url: 'https://bench.example', plugin_version: '1.1.0', wp_version: '6.1.1', is_active: true });

const cpuBefore = process.cpuUsage();
autocannon(
  {
    url: phase.url,
    connections: phase.connections,
    duration: phase.duration,
    amount: phase.amount,
    overallRate: phase.overallRate,
    requests: phase.tokens
      ? [
          {
            method: 'POST',
            setupRequest: (request) => ({
              ...request,
              headers: { 'content-type': 'application/json', 'x-bot-token': phase.tokens[next++ % phase.tokens.length] },
              body,
            }),
          },
        ]
      : undefined,
  },
  (error, result) => {
    if (error) throw error;
    process.stdout.write(JSON.stringify({
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      ok: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      loadCpuUs: (({ user, system }) => user + system)(process.cpuUsage(cpuBefore)),
    }));
  },
);
