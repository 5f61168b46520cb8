// OpenTelemetry on the origin: a span per job attempt, per decode pass and per
// stage hook, joined to the trace the gateway started for the job (its
// `traceparent` travels with the lease). Spans are exported over OTLP/HTTP only
// when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set; otherwise the
// API's no-op tracer keeps the trace id for logs and costs next to nothing.
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Context, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { formatTraceparent, parseTraceparent } from '../protocol/trace-context.js';

export const tracer = trace.getTracer('lumen-origin');

/** The traceparent of the job span whose work is running, for the calls it makes to the gateway. */
const currentTraceparent = new AsyncLocalStorage<string>();

/** Registers an OTLP exporter when the environment asks for one; returns how to flush and stop it. */
export function setupTracing(env: NodeJS.ProcessEnv, workerId: string): { shutdown(): Promise<void> } | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'lumen-origin', 'service.instance.id': workerId }),
    // The exporter reads the endpoint, headers and timeout from the standard OTEL_EXPORTER_OTLP_* variables.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY ?? 1_000) })],
  });
  trace.setGlobalTracerProvider(provider);
  return { shutdown: () => provider.shutdown() };
}

export interface JobTrace {
  span: Span;
  /** The context to start the job's child spans in. */
  context: Context;
  traceId: string;
  /** Runs `fn` with the job span as the parent of every gateway call made inside it. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  end(error?: unknown): void;
}

/** Starts the span of one job attempt, as a child of the job's traceparent (a new trace if it has none). */
export function startJobTrace(traceparent: string | null | undefined, attributes: Record<string, string | number>): JobTrace {
  const parent = parseTraceparent(traceparent);
  const parentContext = parent
    ? trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true })
    : ROOT_CONTEXT;
  const span = tracer.startSpan('job', { kind: SpanKind.CONSUMER, attributes }, parentContext);
  const context = trace.setSpan(parentContext, span);
  const spanContext = span.spanContext();
  // A no-op span without a parent has the invalid all-zero ids: then there is nothing to pass on.
  const valid = trace.isSpanContextValid(spanContext);
  const own = valid ? formatTraceparent({ traceId: spanContext.traceId, spanId: spanContext.spanId, sampled: (spanContext.traceFlags & TraceFlags.SAMPLED) === 1 }) : undefined;
  return {
    span,
    context,
    traceId: valid ? spanContext.traceId : (parent?.traceId ?? ''),
    run: (fn) => (own ? currentTraceparent.run(own, fn) : fn()),
    end: (error) => endSpan(span, error),
  };
}

/** The `traceparent` header for a gateway call made on behalf of the running job, if any. */
export function traceparentForCall(): string | undefined {
  return currentTraceparent.getStore();
}

/** Ends a span, marking it failed (with the exception) when `error` is given. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    if (error instanceof Error) span.recordException(error);
  }
  span.end();
}
