/** What the OTEL_* variables and STRATUS_METRICS_PORT turn on in a process. */
export interface TelemetrySettings {
  /** Spans are exported (an OTLP endpoint, or OTEL_TRACES_EXPORTER naming an exporter). */
  tracing: boolean;
  /** Metrics are pushed over OTLP as well. */
  otlpMetrics: boolean;
  /**
   * A span per PostgreSQL query and Redis command (STRATUS_OTEL_DATASTORE_SPANS=true). Off by default:
   * a turn runs dozens of each (bench:telemetry: 22.5% of turn throughput with them, 3.8% without).
   */
  datastoreSpans: boolean;
  /** The internal port serving GET /metrics for Prometheus; 0 when off. */
  metricsPort: number;
  /** The address the metrics port binds to: the server's HOST. */
  metricsHost: string;
}

export const DEFAULT_METRICS_PORT = 9464;

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');

/**
 * An exporter is on when it is named (OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER) or, left unnamed,
 * when an OTLP endpoint is set for it. The SDK's own default ("otlp" to localhost:4318 whether or not
 * anything listens there) is not followed: a process with nothing configured starts no SDK at all.
 */
function exporterEnabled(named: string | undefined, endpoints: (string | undefined)[]): boolean {
  const names = list(named);
  if (names.includes('none')) return false;
  if (names.length > 0) return true;
  return endpoints.some((endpoint) => endpoint !== undefined && endpoint.trim() !== '');
}

function metricsPort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_METRICS_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid configuration: STRATUS_METRICS_PORT must be a port number (0 turns /metrics off), got "${value}"`);
  return port;
}

/** Reads the telemetry settings; OTEL_SDK_DISABLED=true turns everything off. */
export function telemetrySettings(env: NodeJS.ProcessEnv): TelemetrySettings {
  const port = metricsPort(env.STRATUS_METRICS_PORT);
  const metricsHost = env.HOST?.trim() || '0.0.0.0';
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { tracing: false, otlpMetrics: false, datastoreSpans: false, metricsPort: 0, metricsHost };
  const names = list(env.OTEL_METRICS_EXPORTER);
  return {
    tracing: exporterEnabled(env.OTEL_TRACES_EXPORTER, [env.OTEL_EXPORTER_OTLP_ENDPOINT, env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT]),
    // "prometheus" in OTEL_METRICS_EXPORTER is served by STRATUS_METRICS_PORT, not by a second server.
    otlpMetrics: names.includes('otlp') || (!names.includes('none') && names.length === 0 && exporterEnabled(undefined, [env.OTEL_EXPORTER_OTLP_ENDPOINT, env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT])),
    datastoreSpans: env.STRATUS_OTEL_DATASTORE_SPANS?.trim().toLowerCase() === 'true',
    metricsPort: port,
    metricsHost,
  };
}
