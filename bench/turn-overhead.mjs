// The platform's own time in a tool turn (model → Bash `true` → model), from the worker's spans: one
// session runs tool turns one after another, so nothing queues. A turn job's span (`process
// session-turns`) holds its model calls (`chat …`), its tool calls (`execute_tool …`) and, between
// them, the platform's own work: the claim and context load, the commits, building the next request.
//   per-step overhead   (job − model calls − tool calls) / model steps
//   per-tool-call       execute_tool − the command's own run time in the sandbox (which the runner
//                       reports: stratus.sandbox.command_ms on the `runner /exec` span)
// Targets (issue 12): per-step p50 <= 2 ms, per-tool-call p50 <= 5 ms. The spans are exported over
// OTLP/HTTP-JSON to a receiver in this script; tracing itself is part of what is measured.
import { createServer } from 'node:http';
import { startServer, stats } from './lib.mjs';

export const OVERHEAD_TARGETS = { stepOverheadP50Ms: 2, toolCallOverheadP50Ms: 5 };

/** The spans exported to it, with their durations in ms and attributes decoded. */
async function spanReceiver() {
  const spans = [];
  const value = (v) => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue));
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        for (const resource of body.resourceSpans ?? [])
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId || undefined,
                name: span.name,
                ms: Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6,
                attributes: Object.fromEntries((span.attributes ?? []).map(({ key, value: v }) => [key, value(v)])),
              });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { spans, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Splits each turn job's span into model calls, tool calls and the rest. */
export function overheadOf(spans) {
  const children = new Map();
  for (const span of spans) if (span.parentSpanId) children.set(span.parentSpanId, [...(children.get(span.parentSpanId) ?? []), span]);
  const below = (root) => (children.get(root.spanId) ?? []).flatMap((child) => [child, ...below(child)]);
  const steps = [];
  const toolCalls = [];
  for (const job of spans.filter((span) => span.name === 'process session-turns')) {
    const inside = below(job);
    const models = inside.filter((span) => span.name.startsWith('chat '));
    const tools = inside.filter((span) => span.name.startsWith('execute_tool '));
    if (models.length === 0) continue;
    const sum = (list) => list.reduce((total, span) => total + span.ms, 0);
    steps.push((job.ms - sum(models) - sum(tools)) / models.length);
    for (const tool of tools) {
      const exec = below(tool).find((span) => span.attributes['stratus.sandbox.command_ms'] !== undefined);
      if (exec) toolCalls.push(tool.ms - exec.attributes['stratus.sandbox.command_ms']);
    }
  }
  return { step: stats(steps), toolCall: stats(toolCalls) };
}

/** Runs `turns` tool turns on one session (after one that starts its sandbox) and measures the overhead from their spans. */
export async function measureTurnOverhead({ model, sandboxDir, watcherOf, turns, serverEnv = {} }) {
  const receiver = await spanReceiver();
  const server = await startServer({
    RATE_LIMIT_REQUESTS: '0',
    STRATUS_MODEL_PROVIDERS: JSON.stringify([{ name: 'bench', base_url: model.baseURL, models: ['bench-model'] }]),
    STRATUS_SANDBOX_DIR: sandboxDir,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_METRICS_EXPORTER: 'none',
    ...serverEnv,
  });
  const watcher = watcherOf(server.redisKeyPrefix);
  await watcher.ready;
  try {
    const agent = await server.stratus.agents.create({ name: 'bench', model: 'bench-model', tools: [{ type: 'agent_toolset_20260401', enabled_tools: ['Bash'] }] });
    const environment = await server.stratus.environments.create({ name: 'bench' });
    const session = await server.stratus.sessions.create({ agent: agent.id, environment_id: environment.id });
    const turn = async () => {
      const idle = watcher.next(session.id);
      await server.stratus.sessions.events.send(session.id, { events: [{ type: 'user.message', content: 'go' }] });
      const event = await idle;
      if (event.stop_reason?.type !== 'end_turn') throw new Error(`turn ended with ${JSON.stringify(event.stop_reason)}`);
    };
    const jobs = (spans) => spans.filter((span) => span.name === 'process session-turns').length;
    /** Waits until `count` turn jobs' spans among `spans()` were exported (a job's span comes after its children). */
    const exported = async (spans, count) => {
      const deadline = Date.now() + 10_000;
      while (jobs(spans()) < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    };
    // The first turn starts the sandbox: not a steady turn, and its traces are left out.
    await turn();
    await exported(() => receiver.spans, 1);
    const warmTraces = new Set(receiver.spans.map((span) => span.traceId));
    const steady = () => receiver.spans.filter((span) => !warmTraces.has(span.traceId));
    for (let i = 0; i < turns; i++) await turn();
    await exported(steady, turns);
    return { turns, ...overheadOf(steady()) };
  } finally {
    watcher.close();
    await server.stop();
    await receiver.close();
  }
}
