import type { Stratus } from '@stratus/sdk';
import type { OtlpReceiver, ReceivedSpan } from './support/otlp-receiver';
import { startTracedAllInOne, type TracedAllInOne } from './support/traced-all-in-one';

// How many PostgreSQL round trips a tool turn (model → Bash → model) costs, COUNTED, not timed: the
// built all-in-one traces every query (STRATUS_OTEL_DATASTORE_SPANS=true) to an OTLP receiver in this
// test, and a turn's queries are the pg spans of the trace of the POST that sent its message (the
// request's own, and the turn job's below it). BEGIN and COMMIT are queries like any other.

/**
 * The queries of POST /sessions/{id}/events: read the session's state, append (one statement); as the
 * SDK sends an Idempotency-Key, claim the key and store the response; and the token's lookup when the
 * API's token cache has let it go.
 */
const SEND_BUDGET = 5;
/**
 * The queries of the turn job of a tool turn on a session whose sandbox is up: the claim with the
 * context, the log tail and the session's sandbox slot (one statement), and one append per step (start,
 * model → tool use, tool result, model → end; the last one records the sandbox's use in the capacity
 * ledger). The slot is live and booked on this worker, so the ledger has nothing to decide.
 */
const TOOL_TURN_BUDGET = 5;
/**
 * The first tool turn of a session: the same, and the ledger's grant of a slot for its new sandbox (a
 * transaction of 5: BEGIN, the locks, what the ledger says, the slot, COMMIT).
 */
const FIRST_TOOL_TURN_BUDGET = 10;

let traced: TracedAllInOne | undefined;
let receiver: OtlpReceiver;
let stratus: Stratus;

beforeAll(async () => {
  traced = await startTracedAllInOne('stratus_query_budget', { STRATUS_OTEL_DATASTORE_SPANS: 'true' });
  ({ receiver, stratus } = traced);
}, 240_000);

afterAll(() => traced?.stop());

const isQuery = (span: ReceivedSpan) => span.attributes['db.system.name'] === 'postgresql' && statementOf(span) !== undefined;
const statementOf = (span: ReceivedSpan) => span.attributes['db.query.text'] as string | undefined;

/** The spans of `trace` below `root` (itself excluded). */
function below(root: ReceivedSpan, trace: ReceivedSpan[]): ReceivedSpan[] {
  const children = new Map<string, ReceivedSpan[]>();
  for (const span of trace) if (span.parentSpanId) children.set(span.parentSpanId, [...(children.get(span.parentSpanId) ?? []), span]);
  const found: ReceivedSpan[] = [];
  const visit = (span: ReceivedSpan) => (children.get(span.spanId) ?? []).forEach((child) => (found.push(child), visit(child)));
  visit(root);
  return found;
}

/** One statement a line, with how many times it ran: the breakdown a failure shows. */
const breakdown = (queries: ReceivedSpan[]) =>
  Object.entries(
    queries.reduce<Record<string, number>>((counts, span) => {
      const text = statementOf(span)!.replace(/\s+/g, ' ').trim().slice(0, 140);
      return { ...counts, [text]: (counts[text] ?? 0) + 1 };
    }, {}),
  )
    .map(([text, n]) => `${n} × ${text}`)
    .join('\n');

/** The turn jobs counted already. */
const seenJobs = new Set<string>();

/** Sends a message that makes the demo model run Bash, waits for the turn's end; the queries of the request and of the turn job. */
async function toolTurn(sessionId: string): Promise<{ send: ReceivedSpan[]; turn: ReceivedSpan[] }> {
  const iterator = stratus.sessions.events.stream(sessionId)[Symbol.asyncIterator]();
  try {
    await stratus.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: 'Please run `echo counted`' }] });
    const seen: string[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      seen.push(next.value.type);
      if (next.value.type === 'session.status_idle') break;
    }
    expect(seen).toEqual(expect.arrayContaining(['agent.tool_use', 'agent.tool_result', 'agent.message']));
  } finally {
    await iterator.return?.(undefined);
  }
  // The job's span ends (and is exported) after everything in it; its parent is the request that woke it.
  const job = await receiver.waitForSpan((s) => s.name === 'process session-turns' && !seenJobs.has(s.spanId));
  seenJobs.add(job.spanId);
  const request = await receiver.waitForSpan((s) => s.spanId === job.parentSpanId);
  expect(request.kind).toBe(2);
  const trace = receiver.spans.filter((s) => s.traceId === request.traceId);
  const inJob = new Set(below(job, trace).map((s) => s.spanId));
  const queries = below(request, trace).filter(isQuery);
  return { send: queries.filter((s) => !inJob.has(s.spanId)), turn: queries.filter((s) => inJob.has(s.spanId)) };
}

describe('the query budget of a tool turn', () => {
  it(`sends a message in at most ${SEND_BUDGET} queries and runs a tool turn in at most ${TOOL_TURN_BUDGET} (the first in ${FIRST_TOOL_TURN_BUDGET})`, async () => {
    const agent = await stratus.agents.create({ name: 'counted', model: 'stratus-demo', tools: [{ type: 'agent_toolset_20260401' }] });
    const environment = await stratus.environments.create({ name: 'counted', config: { type: 'cloud', networking: { type: 'none' } } });
    const session = await stratus.sessions.create({ agent: agent.id, environment_id: environment.id });
    // The first turn starts the sandbox (and books it in the capacity ledger); the second is the steady cost.
    const first = await toolTurn(session.id);
    const steady = await toolTurn(session.id);
    console.log(`first tool turn: ${first.turn.length} queries\n${breakdown(first.turn)}\n\nsteady tool turn: ${steady.turn.length} queries\n${breakdown(steady.turn)}\n\nsend: ${steady.send.length} queries\n${breakdown(steady.send)}`);
    expect(steady.turn.length).toBeGreaterThan(0);
    expect({ withinBudget: steady.send.length <= SEND_BUDGET, queries: breakdown(steady.send) }).toEqual({ withinBudget: true, queries: expect.any(String) });
    expect({ withinBudget: steady.turn.length <= TOOL_TURN_BUDGET, queries: breakdown(steady.turn) }).toEqual({ withinBudget: true, queries: expect.any(String) });
    expect({ withinBudget: first.turn.length <= FIRST_TOOL_TURN_BUDGET, queries: breakdown(first.turn) }).toEqual({ withinBudget: true, queries: expect.any(String) });
  });
});
