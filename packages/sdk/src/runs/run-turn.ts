import type { DeltaEventType, SessionEvent, StopReason } from '@stratus/contracts';
import { StratusError } from '../core/errors.js';
import type { SessionEvents, UserEventParam } from '../resources/session-events.js';
import { isSessionEvent, type StreamEvent } from '../streaming/stream-event.js';

export interface RunOptions {
  /** Stops waiting (the turn goes on: cancel it with `sessions.cancel`). */
  signal?: AbortSignal;
  /** Live previews to pass to `onEvent` while the turn runs. */
  eventDeltas?: DeltaEventType[];
  /** Each event of the turn (and each preview frame asked for) as it arrives. */
  onEvent?(event: StreamEvent): void;
  /** The `Idempotency-Key` of the message; by default a new one per call. */
  idempotencyKey?: string;
}

export interface RunResult {
  /** The turn's persisted events, from the user message to `session.status_idle`. */
  events: SessionEvent[];
  /** Why the turn ended: `end_turn`, `requires_action`, `max_iterations` or `error`. */
  stop_reason: StopReason;
  /** The text of the turn's `agent.message` events, joined. */
  text: string;
  /** Tokens the turn's model requests used. */
  usage: { input_tokens: number; output_tokens: number };
}

type MessageContent = Extract<UserEventParam, { type: 'user.message' }>['content'];

function textOf(event: SessionEvent): string {
  return (event.content ?? []).map((block) => block.text).join('');
}

function summarize(events: SessionEvent[], idle: SessionEvent): RunResult {
  const usage = { input_tokens: 0, output_tokens: 0 };
  for (const event of events) {
    if (event.type !== 'span.model_request_end') continue;
    const used = event.model_usage as { input_tokens?: unknown; output_tokens?: unknown } | undefined;
    if (typeof used?.input_tokens === 'number') usage.input_tokens += used.input_tokens;
    if (typeof used?.output_tokens === 'number') usage.output_tokens += used.output_tokens;
  }
  const text = events
    .filter((e) => e.type === 'agent.message')
    .map(textOf)
    .join('\n\n');
  return { events, stop_reason: idle.stop_reason as StopReason, text, usage };
}

/**
 * Sends a message and waits for its turn. The stream resumes after the session's latest event and is
 * open before the message is sent; the turn is the first `session.status_running` after the
 * message, and ends at the `session.status_idle` of the same turn.
 */
export async function runTurn(events: SessionEvents, sessionId: string, content: MessageContent, options: RunOptions): Promise<RunResult> {
  const { signal } = options;
  const latest = await events.list(sessionId, { order: 'desc', limit: 1 }, { signal });
  const controller = new AbortController();
  const abort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', abort, { once: true });
  let opened!: () => void;
  const connected = new Promise<void>((resolve) => (opened = resolve));
  const stream = events.stream(sessionId, {
    lastEventId: latest.data[0]?.id,
    eventDeltas: options.eventDeltas,
    signal: controller.signal,
    onConnect: () => opened(),
  });
  const iterator = stream[Symbol.asyncIterator]();
  try {
    // The first read connects; the message goes only once the connection is open (or has failed).
    let pending: Promise<IteratorResult<StreamEvent>> | undefined = iterator.next();
    await Promise.race([connected, pending]);
    const sent = await events.send(sessionId, { events: [{ type: 'user.message', content }] }, { signal, idempotencyKey: options.idempotencyKey });
    const messageId = sent.data[0]?.id;
    const turn: SessionEvent[] = [];
    let seenMessage = false;
    let turnId: string | null | undefined;
    for (;;) {
      const result: IteratorResult<StreamEvent> = await (pending ?? iterator.next());
      pending = undefined;
      if (result.done) {
        if (signal?.aborted) throw signal.reason;
        throw new StratusError(`The stream of ${sessionId} ended before the turn did (the session was deleted).`);
      }
      const event = result.value;
      if (isSessionEvent(event) && event.id === messageId) seenMessage = true;
      if (!seenMessage) continue;
      options.onEvent?.(event);
      if (!isSessionEvent(event)) continue;
      turn.push(event);
      if (event.type === 'session.status_running' && turnId === undefined) turnId = event.turn_id;
      if (event.type === 'session.status_idle' && turnId !== undefined && event.turn_id === turnId) return summarize(turn, event);
    }
  } finally {
    signal?.removeEventListener('abort', abort);
    controller.abort();
    await iterator.return(undefined);
  }
}
