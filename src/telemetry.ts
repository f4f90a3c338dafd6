// OpenTelemetry tracing, loaded before the app with `node --import tsx --import ./src/telemetry.ts`
// (package.json "start" and the Dockerfile do this). Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; then HTTP, Fastify and pg spans are exported over OTLP
// (HTTP/JSON), configured by the standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_BSP_*, …).
// This module reads those standard variables itself, the one exception to "only src/config.ts
// reads process.env": it runs before the configuration is loaded, and they are OTel's own.
import module from 'node:module';

const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const disabled = /^true$/i.test(process.env.OTEL_SDK_DISABLED ?? '');

if (endpoint && !disabled) await startTracing();

async function startTracing() {
  // ESM imports (node:http, fastify, pg) are only patched through this loader hook, and it must be
  // registered before the app's modules are imported: hence the separate --import.
  module.register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

  // Loaded only when tracing is on, so a zero-configuration start does not pay for the SDK.
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = await import('@opentelemetry/instrumentation-pg');
  const { FastifyOtelInstrumentation } = await import('@fastify/otel');

  // Scrapes and probes every few seconds would drown the interesting traces.
  const quietPaths = new Set(['/metrics', '/healthz', '/readyz']);

  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME || 'agentdesk',
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => quietPaths.has((request.url ?? '').split('?')[0]!) }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true, ignorePaths: (route) => quietPaths.has(route.url) }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();

  // The service closes its server and pool on SIGTERM and lets the event loop drain; flush the
  // last spans then, rather than racing the graceful shutdown.
  process.once('beforeExit', () => {
    sdk.shutdown().catch((error: Error) => console.error(`telemetry: shutdown failed: ${error.message}`));
  });
}
