export type { BatchObservableResult, Observable } from '@opentelemetry/api';
export { stratusMetrics, STRATUS_METER, type StratusMetrics } from './catalogue';
export { PrometheusEndpoint } from './prometheus-endpoint';
export { DEFAULT_METRICS_PORT, telemetrySettings, type TelemetrySettings } from './settings';
export { startTelemetry, type Telemetry } from './start';
export { contextOf, currentTraceparent, inSpan, inSpanSync, logCorrelation, SpanKind, type Span, type SpanOptions } from './trace';
