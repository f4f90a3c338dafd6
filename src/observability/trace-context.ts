// Puts the active trace and span ids on every log line (a pino mixin), so a log line leads to its
// trace in Jaeger and back. Without telemetry there is no active span and nothing is added.
import { trace } from '@opentelemetry/api';

export function traceLogFields(): Record<string, string> {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !trace.isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId };
}
