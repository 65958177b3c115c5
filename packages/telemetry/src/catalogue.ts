import { metrics, type Histogram, type Meter } from '@opentelemetry/api';

/** The meter every Stratus instrument belongs to; the Prometheus endpoint serves this scope only. */
export const STRATUS_METER = 'stratus';

/** Bucket boundaries for durations in seconds: from a fast tool call to a long turn. */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** The GenAI semantic conventions' advice for token counts. */
const TOKENS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/**
 * The metric catalogue: every instrument the apps record, in one place. Names and units follow the
 * OpenTelemetry semantic conventions where one exists (gen_ai.*, http.server.*); the Prometheus
 * endpoint exposes `stratus.turn.duration` (unit s) as `stratus_turn_duration_seconds`, a counter
 * with `_total`, and attribute keys with dots as underscores (`gen_ai.system` → `gen_ai_system`).
 */
function createCatalogue(meter: Meter) {
  const seconds = (name: string, description: string): Histogram => meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: SECONDS } });
  return {
    /** For batch observable callbacks over several gauges. */
    meter,
    /** Attributes: status. Deployment-wide, observed from PostgreSQL. */
    sessions: meter.createObservableGauge('stratus.sessions', { description: 'Sessions by status in the deployment', unit: '{session}' }),
    turnsStarted: meter.createCounter('stratus.turns.started', { description: 'Turns started', unit: '{turn}' }),
    /** Attributes: stop_reason. */
    turnsFinished: meter.createCounter('stratus.turns.finished', { description: 'Turns finished, by stop reason', unit: '{turn}' }),
    /** Attributes: stop_reason. */
    turnDuration: seconds('stratus.turn.duration', 'Turn wall time'),
    /** Attributes: queue, state (waiting, active, delayed). */
    queueDepth: meter.createObservableGauge('stratus.queue.depth', { description: 'Jobs per BullMQ queue and state', unit: '{job}' }),
    /** Attributes: queue. */
    queueWaitTime: seconds('stratus.queue.wait_time', 'Time from enqueue to job start'),
    /** Attributes: gen_ai.system, gen_ai.request.model, error.type (on failure). */
    modelDuration: seconds('gen_ai.client.operation.duration', 'Model call total time'),
    /** Attributes: gen_ai.system, gen_ai.request.model. */
    modelTimeToFirstToken: seconds('stratus.model.time_to_first_token', 'Model call time to the first streamed token'),
    /** Attributes: gen_ai.system, gen_ai.request.model, gen_ai.token.type (input, output). */
    tokenUsage: meter.createHistogram('gen_ai.client.token.usage', { description: 'Tokens per model call', unit: '{token}', advice: { explicitBucketBoundaries: TOKENS } }),
    /** Attributes: tool_name, outcome (ok, error, denied, interrupted). */
    toolDuration: seconds('stratus.tool.duration', 'Tool call time'),
    /** Attributes: tool_name. */
    toolErrors: meter.createCounter('stratus.tool.errors', { description: 'Tool calls that failed', unit: '{call}' }),
    /** Attributes: provider, warm. */
    sandboxProvisionDuration: seconds('stratus.sandbox.provision.duration', 'Sandbox start time'),
    /** Attributes: provider. */
    sandboxProvisionFailures: meter.createCounter('stratus.sandbox.provision.failures', { description: 'Sandbox starts that failed', unit: '{sandbox}' }),
    /** Attributes: provider. */
    sandboxesLive: meter.createObservableGauge('stratus.sandboxes.live', { description: 'Live sandboxes of this worker', unit: '{sandbox}' }),
    streamsOpen: meter.createUpDownCounter('stratus.streams.open', { description: 'Open SSE streams of this gateway', unit: '{stream}' }),
    streamDeliveryLag: seconds('stratus.stream.delivery_lag', 'Event publish to written to the SSE client'),
    /** Attributes: http.request.method, http.route, http.response.status_code. */
    httpServerDuration: seconds('http.server.request.duration', 'HTTP request latency by route and status'),
    authLimiterFallback: meter.createCounter('stratus.auth.limiter_fallback', { description: 'Requests limited locally because Redis was unreachable', unit: '{request}' }),
  };
}

export type StratusMetrics = ReturnType<typeof createCatalogue>;

let catalogue: StratusMetrics | undefined;

/**
 * The instruments, created on first use. The metrics API has no proxy provider: instruments made
 * before the SDK starts stay no-ops, so the SDK starts before any app module loads (see start.ts);
 * with telemetry off they are no-ops and cost next to nothing.
 */
export function stratusMetrics(): StratusMetrics {
  catalogue ??= createCatalogue(metrics.getMeter(STRATUS_METER));
  return catalogue;
}
