import type { Stratus, StreamEvent } from '@stratus/sdk';
import { eventually, type AllInOneProcess } from '@stratus/testing';
import type { OtlpReceiver, ReceivedSpan } from './support/otlp-receiver';
import { startTracedAllInOne, type TracedAllInOne } from './support/traced-all-in-one';

// One real turn in the built all-in-one with tracing and metrics on: the trace it exports over
// OTLP (HTTP/JSON, to a receiver in this test) and what its internal /metrics port shows after it.

let traced: TracedAllInOne | undefined;
let receiver: OtlpReceiver;
let app: AllInOneProcess;
let stratus: Stratus;
const metricsPort = 21000 + Math.floor(Math.random() * 20000);
const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;

/** Every event of the turn, read from the stream, and the stream left open (an open SSE stream is a metric). */
let turnEvents: StreamEvent[];
let closeStream: () => Promise<unknown>;

beforeAll(async () => {
  traced = await startTracedAllInOne('stratus_telemetry', { OTEL_METRIC_EXPORT_INTERVAL: '500', STRATUS_METRICS_PORT: String(metricsPort), LOG_FORMAT: 'json' });
  ({ receiver, app, stratus } = traced);

  const agent = await stratus.agents.create({ name: 'traced', model: 'stratus-demo', tools: [{ type: 'agent_toolset_20260401' }] });
  const environment = await stratus.environments.create({ name: 'traced', config: { type: 'cloud', networking: { type: 'none' } } });
  const session = await stratus.sessions.create({ agent: agent.id, environment_id: environment.id });
  const iterator = stratus.sessions.events.stream(session.id)[Symbol.asyncIterator]();
  closeStream = () => iterator.return(undefined);
  await stratus.sessions.events.send(session.id, { events: [{ type: 'user.message', content: 'Please run `echo traced`' }] });
  turnEvents = [];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    turnEvents.push(next.value);
    if (next.value.type === 'session.status_idle') break;
  }
}, 240_000);

afterAll(async () => {
  await closeStream?.();
  await traced?.stop();
});

/** The span's ancestors up to the trace's root, nearest first (each waited for: a parent ends, and is exported, after its children). */
async function ancestors(span: ReceivedSpan): Promise<ReceivedSpan[]> {
  const chain: ReceivedSpan[] = [];
  for (let at = span; at.parentSpanId !== undefined; ) {
    const parentId = at.parentSpanId;
    at = await receiver.waitForSpan((s) => s.spanId === parentId);
    chain.push(at);
  }
  return chain;
}

/** Samples of the Prometheus text format: name, labels, value. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [, name, labelText = '', value] = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)!;
      const labels = Object.fromEntries([...labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
      return { name: name!, labels, value: Number(value) };
    });
}

describe('telemetry of a turn', () => {
  it('exports one trace: API request → job → turn → model call → tool call → runner exec → gateway delivery', async () => {
    const toolCall = await receiver.waitForSpan((s) => s.name === 'execute_tool Bash');
    const trace = (name: string) => receiver.waitForSpan((s) => s.traceId === toolCall.traceId && s.name === name);

    // The tool call runs in the turn, in the job, under the API request that sent the message.
    const [turn, job, request, ...above] = await ancestors(toolCall);
    expect(above).toEqual([]);
    expect(turn).toMatchObject({ name: 'turn', service: 'stratus-all-in-one' });
    expect(job).toMatchObject({ name: 'process session-turns', kind: 5 });
    expect(request!.kind).toBe(2);
    expect(request!.attributes['http.method'] ?? request!.attributes['http.request.method']).toBe('POST');
    expect(String(request!.attributes['http.target'] ?? request!.attributes['url.path'])).toMatch(/^\/api\/v1\/cloud\/sessions\/sess_\w+\/events$/);

    // Both model calls of the turn, with the GenAI attributes; the first asked for the tool.
    await trace('chat stratus-demo');
    const modelCalls = receiver.spans.filter((s) => s.traceId === toolCall.traceId && s.name.startsWith('chat '));
    expect(modelCalls.length).toBeGreaterThanOrEqual(1);
    const usage = turnEvents.filter((e) => e.type === 'span.model_request_end').map((e) => (e as unknown as { model_usage: { input_tokens: number; output_tokens: number } }).model_usage);
    for (const call of modelCalls) {
      expect((await ancestors(call))[0]).toBe(turn);
      expect(call.kind).toBe(3);
      expect(call.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'stratus', 'gen_ai.request.model': 'stratus-demo' });
      expect(usage).toContainEqual({ input_tokens: call.attributes['gen_ai.usage.input_tokens'], output_tokens: call.attributes['gen_ai.usage.output_tokens'] });
    }
    expect(modelCalls.map((c) => c.attributes['gen_ai.response.finish_reasons'])).toContainEqual(['tool_calls']);
    expect(toolCall.attributes).toMatchObject({ 'gen_ai.tool.name': 'Bash', 'stratus.tool.outcome': 'ok' });

    // The sandbox was started for the turn as soon as the model's stream named the tool call (lazy
    // sandboxes), so within the model call that asked for it; the runner's exec is a call inside the tool call.
    const [provisionParent, provisionGrandparent] = await ancestors(await trace('sandbox.provision'));
    expect(modelCalls).toContain(provisionParent);
    expect(provisionParent!.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
    expect(provisionGrandparent).toBe(turn);
    const exec = await trace('runner /v1/exec');
    expect(exec.parentSpanId).toBe(toolCall.spanId);
    expect(exec.kind).toBe(3);
    // The command's own run time, as the runner measured it: the rest of the tool call is the platform's (pnpm bench:turns).
    expect(exec.attributes['stratus.sandbox.command_ms']).toEqual(expect.any(Number));

    // The gateway delivered the turn's events to the open stream in the same trace.
    const delivery = await receiver.waitForSpan((s) => s.traceId === toolCall.traceId && s.name === 'stream.deliver' && s.attributes['stratus.event.type'] === 'agent.tool_result');
    expect(delivery.attributes['stratus.streams']).toBe(1);
    expect(await ancestors(delivery)).toContain(turn);
  });

  it('puts trace_id and span_id on the log lines written inside the trace', async () => {
    const toolCall = await receiver.waitForSpan((s) => s.name === 'execute_tool Bash');
    const turn = await receiver.waitForSpan((s) => s.spanId === toolCall.parentSpanId);
    const lines = app
      .logLines()
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; trace_id?: string; span_id?: string; stop_reason?: string });
    // The worker's line for the turn's end is written inside the turn span.
    const turnEnd = lines.find((line) => line.stop_reason === 'end_turn' && line.msg?.startsWith('turn end_turn'));
    expect(turnEnd).toMatchObject({ trace_id: toolCall.traceId, span_id: turn.spanId });
    // And the API's request line, inside the request's server span, carries the same trace.
    const request = lines.find((line) => line.msg?.startsWith('POST /api/v1/cloud/sessions/:sessionId/events 202'));
    expect(request?.trace_id).toBe(toolCall.traceId);
  });

  it('serves the metric catalogue on the internal metrics port, with the turn in it', async () => {
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    const text = await response.text();
    const all = samples(text);
    const value = (name: string, labels: Record<string, string> = {}) =>
      all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
    const modelLabels = { gen_ai_system: 'stratus', gen_ai_request_model: 'stratus-demo' };
    const modelCalls = turnEvents.filter((e) => e.type === 'span.model_request_end') as unknown as { model_usage: { input_tokens: number; output_tokens: number } }[];

    expect(value('stratus_turns_started_total')).toBe(1);
    expect(value('stratus_turns_finished_total', { stop_reason: 'end_turn' })).toBe(1);
    expect(value('stratus_turn_duration_seconds_count', { stop_reason: 'end_turn' })).toBe(1);
    expect(value('stratus_turn_duration_seconds_sum', { stop_reason: 'end_turn' })).toBeGreaterThan(0);
    expect(value('stratus_tool_duration_seconds_count', { tool_name: 'Bash', outcome: 'ok' })).toBe(1);
    expect(value('stratus_tool_errors_total')).toBe(0);
    expect(value('gen_ai_client_operation_duration_seconds_count', modelLabels)).toBe(modelCalls.length);
    expect(value('stratus_model_time_to_first_token_seconds_count', modelLabels)).toBe(modelCalls.length);
    const tokens = (type: string, key: 'input_tokens' | 'output_tokens') => {
      expect(value('gen_ai_client_token_usage_count', { ...modelLabels, gen_ai_token_type: type })).toBe(modelCalls.length);
      expect(value('gen_ai_client_token_usage_sum', { ...modelLabels, gen_ai_token_type: type })).toBe(modelCalls.reduce((sum, e) => sum + e.model_usage[key], 0));
    };
    tokens('input', 'input_tokens');
    tokens('output', 'output_tokens');
    expect(value('stratus_sandbox_provision_duration_seconds_count', { provider: 'local', warm: 'false' })).toBe(1);
    expect(value('stratus_sandboxes_live', { provider: 'local' })).toBe(1);
    expect(value('stratus_queue_wait_time_seconds_count', { queue: 'session-turns' })).toBe(1);
    expect(value('stratus_queue_depth', { queue: 'session-turns', state: 'active' })).toBe(0);
    expect(value('stratus_sessions', { status: 'idle' })).toBe(1);
    expect(value('stratus_sessions', { status: 'processing' })).toBe(0);
    // The stream this test holds open, and the turn's events written to it live (not those it read from history).
    expect(value('stratus_streams_open')).toBe(1);
    expect(value('stratus_stream_delivery_lag_seconds_count')).toBeGreaterThan(0);
    expect(value('stratus_stream_delivery_lag_seconds_count')).toBeLessThanOrEqual(turnEvents.length);
    expect(all.find((s) => s.name === 'http_server_request_duration_seconds_count' && s.labels.http_request_method === 'POST' && s.labels.http_route === '/api/v1/cloud/sessions/:sessionId/events')).toMatchObject({
      labels: { http_response_status_code: '202' },
      value: 1,
    });

    // Nothing but the catalogue: no auto-instrumentation metrics, no target_info, no scope labels.
    const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    const catalogue = new Set([
      'stratus_sessions gauge',
      'stratus_turns_started_total counter',
      'stratus_turns_finished_total counter',
      'stratus_turn_duration_seconds histogram',
      'stratus_queue_depth gauge',
      'stratus_queue_wait_time_seconds histogram',
      'gen_ai_client_operation_duration_seconds histogram',
      'stratus_model_time_to_first_token_seconds histogram',
      'gen_ai_client_token_usage histogram',
      'stratus_tool_duration_seconds histogram',
      'stratus_tool_errors_total counter',
      'stratus_sandbox_provision_duration_seconds histogram',
      'stratus_sandbox_provision_failures_total counter',
      'stratus_sandboxes_live gauge',
      'stratus_streams_open gauge',
      'stratus_stream_delivery_lag_seconds histogram',
      'http_server_request_duration_seconds histogram',
      'stratus_auth_limiter_fallback_total counter',
    ]);
    for (const family of families) expect(catalogue).toContain(family);
    expect(families.length).toBeGreaterThanOrEqual(15);
    expect(text).not.toMatch(/otel_scope_name|target_info/);
  });

  it('pushes the metrics over OTLP too', async () => {
    await eventually(async () => receiver.metricNames.has('stratus.turns.started'), 20_000, 'the turn metrics over OTLP');
    expect(receiver.metricNames).toContain('gen_ai.client.operation.duration');
  });

  it('serves no /metrics on the public port', async () => {
    const response = await fetch(`${app.baseUrl}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('stratus_turns_started_total');
  });
});
