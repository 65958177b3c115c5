import { diag } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { PrometheusEndpoint } from './prometheus-endpoint';
import { telemetrySettings, type TelemetrySettings } from './settings';

/** The telemetry of a process, as started. */
export interface Telemetry {
  settings: TelemetrySettings;
  /** Resolves once the metrics port listens (with its port), or undefined when it is off or could not bind. */
  metricsPort: Promise<number | undefined>;
  /** Flushes and stops the exporters (on shutdown). */
  shutdown(): Promise<void>;
}

const OFF: Omit<Telemetry, 'settings'> = { metricsPort: Promise.resolve(undefined), shutdown: async () => undefined };

/**
 * The OTLP metric reader of the OTEL_* variables: protocol from OTEL_EXPORTER_OTLP[_METRICS]_PROTOCOL
 * (http/protobuf, the default, or http/json), endpoint and headers read by the exporter itself,
 * interval OTEL_METRIC_EXPORT_INTERVAL (default 60 s).
 */
function otlpMetricReader(env: NodeJS.ProcessEnv): IMetricReader {
  const protocol = (env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') throw new Error(`invalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json, got "${protocol}"`);
  const exporter = protocol === 'http/json' ? new JsonMetricExporter() : new ProtobufMetricExporter();
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  return new PeriodicExportingMetricReader({ exporter, ...(interval > 0 ? { exportIntervalMillis: interval, exportTimeoutMillis: Math.min(interval, 30_000) } : {}) });
}

/**
 * Starts OpenTelemetry for this process from the standard OTEL_* variables and STRATUS_METRICS_PORT.
 * It must run before the modules it instruments load (http, undici, ioredis, pg): each app's main
 * imports its `telemetry` module first. Nothing configured, nothing started: no SDK, no port.
 *
 * Traces: exported as OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_* say (OTLP over HTTP/protobuf by
 * default, HTTP/JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json), W3C trace context propagated.
 * Metrics: the catalogue (catalogue.ts) on GET /metrics of the internal port, and over OTLP.
 */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const settings = telemetrySettings(env);
  if (!settings.tracing && !settings.otlpMetrics && settings.metricsPort === 0) return { settings, ...OFF };

  const prometheus = settings.metricsPort > 0 ? new PrometheusEndpoint() : undefined;
  const metricReaders: IMetricReader[] = [...(settings.otlpMetrics ? [otlpMetricReader(env)] : []), ...(prometheus ? [prometheus] : [])];
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || serviceName,
    metricReaders,
    // No span processor, no tracer provider: spans stay no-ops when tracing is off.
    ...(settings.tracing ? {} : { spanProcessors: [] }),
    // Logs stay with pino on stdout (their lines carry trace_id and span_id); none go over OTLP.
    logRecordProcessors: [],
    instrumentations: settings.tracing
      ? [
          new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => request.url === '/healthz' || request.url === '/readyz' }),
          new UndiciInstrumentation(),
          ...(settings.datastoreSpans ? [new IORedisInstrumentation({ requireParentSpan: true }), new PgInstrumentation({ requireParentSpan: true })] : []),
        ]
      : [],
  });
  sdk.start();

  const metricsPort = prometheus
    ? prometheus.listen(settings.metricsPort, settings.metricsHost).catch((error: unknown) => {
        // Metrics are not worth refusing to serve for; the missing scrape target says the rest.
        diag.error(`the metrics port ${settings.metricsPort} could not be opened: ${String(error)}`);
        process.stderr.write(`stratus: /metrics is off: port ${settings.metricsPort} on ${settings.metricsHost} could not be opened (${(error as Error).message}); set STRATUS_METRICS_PORT to a free port, or 0\n`);
        return undefined;
      })
    : Promise.resolve(undefined);
  return { settings, metricsPort, shutdown: () => sdk.shutdown() };
}
