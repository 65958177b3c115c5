import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { DEFAULT_METRICS_PORT, PrometheusEndpoint, startTelemetry, STRATUS_METER, telemetrySettings } from '../src';

describe('telemetrySettings', () => {
  it('turns nothing on but the default metrics port when no exporter is configured', () => {
    expect(telemetrySettings({})).toEqual({ tracing: false, otlpMetrics: false, datastoreSpans: false, metricsPort: DEFAULT_METRICS_PORT, metricsHost: '0.0.0.0' });
  });

  it('traces PostgreSQL queries and Redis commands one by one only when asked to', () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).datastoreSpans).toBe(false);
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', STRATUS_OTEL_DATASTORE_SPANS: 'true' }).datastoreSpans).toBe(true);
  });

  it('exports traces and metrics over OTLP once an endpoint is set, unless an exporter is named none', () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({ tracing: true, otlpMetrics: true });
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toMatchObject({ tracing: true, otlpMetrics: false });
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' })).toMatchObject({ tracing: false, otlpMetrics: false });
    expect(telemetrySettings({ OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({ tracing: true });
  });

  it('takes STRATUS_METRICS_PORT (0: off), and OTEL_SDK_DISABLED turns everything off', () => {
    expect(telemetrySettings({ STRATUS_METRICS_PORT: '0', HOST: '127.0.0.1' })).toMatchObject({ metricsPort: 0, metricsHost: '127.0.0.1' });
    expect(telemetrySettings({ STRATUS_METRICS_PORT: '9100' }).metricsPort).toBe(9100);
    expect(() => telemetrySettings({ STRATUS_METRICS_PORT: 'http' })).toThrow(/STRATUS_METRICS_PORT/);
    expect(telemetrySettings({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({ tracing: false, otlpMetrics: false, metricsPort: 0 });
  });
});

describe('startTelemetry with nothing configured', () => {
  it('starts no SDK: no tracer provider, no meter provider, no port', async () => {
    const telemetry = startTelemetry('stratus-test', { STRATUS_METRICS_PORT: '0' });
    expect(await telemetry.metricsPort).toBeUndefined();
    // The API's defaults stand: a proxy that delegates to the no-op tracer, the no-op meter provider.
    expect((trace.getTracerProvider() as unknown as { getDelegate(): object }).getDelegate().constructor.name).toBe('NoopTracerProvider');
    expect(metrics.getMeterProvider().constructor.name).toBe('NoopMeterProvider');
    expect(trace.getTracer('x').startSpan('y').isRecording()).toBe(false);
  });
});

describe('PrometheusEndpoint', () => {
  let endpoint: PrometheusEndpoint;
  let provider: MeterProvider;
  let url: string;

  beforeAll(async () => {
    endpoint = new PrometheusEndpoint();
    provider = new MeterProvider({ readers: [endpoint] });
    url = `http://127.0.0.1:${await endpoint.listen(0, '127.0.0.1')}`;
  });
  afterAll(() => provider.shutdown());

  it('names the catalogue the Prometheus way, with the unit of durations, and serves only its scope', async () => {
    const meter = provider.getMeter(STRATUS_METER);
    meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', advice: { explicitBucketBoundaries: [1] } }).record(0.5, { 'gen_ai.system': 'openai' });
    meter.createCounter('stratus.turns.finished', { unit: '{turn}' }).add(2, { stop_reason: 'end_turn' });
    meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' }).record(7);
    provider.getMeter('@opentelemetry/instrumentation-http').createHistogram('http.server.duration', { unit: 'ms' }).record(3);

    const response = await fetch(`${url}/metrics`);
    const text = await response.text();
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE gen_ai_client_operation_duration_seconds histogram');
    expect(text).toContain('gen_ai_client_operation_duration_seconds_bucket{gen_ai_system="openai",le="1"} 1');
    expect(text).toContain('stratus_turns_finished_total{stop_reason="end_turn"} 2');
    expect(text).toContain('# TYPE gen_ai_client_token_usage histogram');
    expect(text).not.toContain('http_server_duration');
    expect(text).not.toMatch(/otel_scope_name|target_info/);
  });

  it('answers 404 to anything but GET /metrics', async () => {
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});
