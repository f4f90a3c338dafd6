import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { otlpEnv, startOtlpReceiver, type ExportedSpan, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { startService, type ServiceProcess } from '../helpers/service-process.ts';

// An OTLP/HTTP receiver on a loopback port collects what the service exports (JSON encoding).
interface Ctx {
  receiver: OtlpReceiver;
  spans: ExportedSpan[];
  service: ServiceProcess;
}
const test = suite<Ctx>('telemetry');

test.before(async (ctx) => {
  ctx.receiver = await startOtlpReceiver();
  ctx.spans = ctx.receiver.spans;
  try {
    ctx.service = await startService(otlpEnv(ctx.receiver));
  } catch (error) {
    // Without the service there is nothing to test; close the receiver so the run does not hang.
    await ctx.receiver.close();
    throw error;
  }
});
test.after(async (ctx) => {
  await ctx.service?.stop();
  await ctx.receiver.close();
});

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('exports one trace per heartbeat spanning http, fastify and the database query', async (ctx) => {
  // A well-formed but unknown token goes all the way to the database and answers 401.
  const response = await fetch(`${ctx.service.url}/api/bots/wordpress-heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bot-token': 'bot_unknownunknownunknown1234' },
    body: JSON.stringify({ site_url: 'https://traced.example.com', plugin_version: '1.1.0', wp_version: '6.1.1', is_active: true }),
  });
  // the request itself behaves as without tracing
  assert.is(response.status, 401);

  const server = await waitFor('the HTTP server span', () =>
    ctx.spans.find((s) => s.scope === '@opentelemetry/instrumentation-http' && s.kind === 2 && s.name.startsWith('POST')),
  );
  const fastify = await waitFor('a Fastify span in the same trace', () =>
    ctx.spans.find((s) => s.scope === '@fastify/otel' && s.traceId === server.traceId),
  );
  // the HTTP server span and the Fastify request span belong to one trace
  assert.is(fastify.traceId, server.traceId);
  const query = await waitFor('a pg query span in the same trace', () =>
    ctx.spans.find((s) => s.scope === '@opentelemetry/instrumentation-pg' && s.traceId === server.traceId),
  );
  // the token lookup is a child span of the same trace
  assert.ok(query.parentSpanId);

  const logLine = await waitFor('a log line with the trace id', () =>
    ctx.service
      .stdout()
      .split('\n')
      .find((line) => line.includes(`"trace_id":"${server.traceId}"`)),
  );
  // the request's log lines carry the trace id, so a log line leads to its trace
  assert.match(logLine, '"span_id":"');
});

test('does not trace /metrics scrapes and health probes', async (ctx) => {
  const before = ctx.spans.length;
  const scrape = await fetch(`${ctx.service.url}/metrics`);
  await scrape.text();
  await fetch(`${ctx.service.url}/healthz`).then((r) => r.text());
  // A traced request afterwards marks the point by which the earlier spans would have been exported.
  await fetch(`${ctx.service.url}/api/bots/wordpress-heartbeat`, { method: 'POST' }).then((r) => r.text());
  await waitFor('the marker request span', () =>
    ctx.spans.slice(before).find((s) => s.scope === '@opentelemetry/instrumentation-http' && s.kind === 2 && s.name.startsWith('POST')),
  );
  const serverSpans = ctx.spans.slice(before).filter((s) => s.scope === '@opentelemetry/instrumentation-http' && s.kind === 2);
  // the scrape answered, and the only server span is the marker POST
  assert.is(scrape.status, 200);
  assert.equal(serverSpans.map((s) => s.name.split(' ')[0]), ['POST']);
});

test('shuts down cleanly on SIGTERM with tracing on', async (ctx) => {
  await ctx.service.stop();
  // graceful stop: exit code 0, not killed by the signal, and the shutdown was logged
  assert.is(ctx.service.child.exitCode, 0);
  assert.is(ctx.service.child.signalCode, null);
  assert.match(ctx.service.stdout(), '"msg":"shutting down"');
});

test.run();
