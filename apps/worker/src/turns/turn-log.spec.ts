import type { EventPayload, EventType } from '@stratus/contracts';
import type { Event as EventRow } from '@stratus/db';
import { newEvent } from '@stratus/events';
import { readTurnLog } from './turn-log';

let seq = 0;
function row<T extends EventType>(type: T, payload: EventPayload<T>, options: { id?: string; turnId?: string | null; processed?: boolean } = {}): EventRow {
  seq += 1;
  return {
    id: options.id ?? `evt_${seq}`,
    sessionId: 'sess_1',
    workspaceId: 'ws',
    seq,
    type,
    turnId: options.turnId === undefined ? 'turn_1' : options.turnId,
    dedupeKey: null,
    payload: newEvent(type, payload).payload,
    createdAt: new Date(),
    processedAt: options.processed === false ? null : new Date(),
  };
}
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const end = (isError: boolean, startId = 'evt_start') => ({ model_request_start_id: startId, model_usage: { input_tokens: 1, output_tokens: 1 }, is_error: isError });

beforeEach(() => {
  seq = 0;
});

describe('readTurnLog', () => {
  it('rebuilds MCP calls under the name the model called them by, with their results and pending state', () => {
    const rows = [
      row('user.message', text('weather?')),
      row('session.status_running', {}),
      row('span.model_request_start', { model: 'm' }),
      row('agent.mcp_tool_use', { name: 'forecast', mcp_server_name: 'weather', input: { city: 'Oslo' }, evaluated_permission: 'allow' }, { id: 'use_1' }),
      row('agent.mcp_tool_use', { name: 'alerts', mcp_server_name: 'weather', input: {}, evaluated_permission: 'ask' }, { id: 'use_2' }),
      row('span.model_request_end', end(false)),
      row('agent.mcp_tool_result', { mcp_tool_use_id: 'use_1', ...text('Sunny'), is_error: false }),
    ];
    const log = readTurnLog(rows);
    expect(log.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'use_1', type: 'function', function: { name: 'mcp__weather__forecast', arguments: '{"city":"Oslo"}' } },
          { id: 'use_2', type: 'function', function: { name: 'mcp__weather__alerts', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'use_1', content: 'Sunny' },
    ]);
    expect(log.open?.pending).toEqual([expect.objectContaining({ name: 'alerts', mcpServer: 'weather', permission: 'ask', custom: false })]);
  });

  it('rebuilds the conversation, placing a message queued mid-turn at the turn that took it', () => {
    const rows = [
      row('user.message', text('first')),
      row('session.status_running', {}),
      row('span.model_request_start', { model: 'm' }, { id: 'start_1' }),
      row('user.message', text('second'), { turnId: 'turn_2' }),
      row('agent.message', text('Looking.')),
      row('agent.tool_use', { name: 'Bash', input: { command: 'ls' }, evaluated_permission: 'allow' }, { id: 'use_1' }),
      row('span.model_request_end', end(false, 'start_1')),
      row('agent.tool_result', { tool_use_id: 'use_1', ...text('a.txt'), is_error: false }),
      row('span.model_request_start', { model: 'm' }),
      row('agent.message', text('Done.')),
      row('span.model_request_end', end(false)),
      row('session.status_idle', { stop_reason: { type: 'end_turn' } }),
      row('session.status_running', {}, { turnId: 'turn_2' }),
      row('user.message', text('third'), { turnId: null, processed: false }),
    ];
    const log = readTurnLog(rows);
    expect(log.messages).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'Looking.', tool_calls: [{ id: 'use_1', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'use_1', content: 'a.txt' },
      { role: 'assistant', content: 'Done.' },
      { role: 'user', content: 'second' },
    ]);
    expect(log.queued.map((r) => r.id)).toEqual(['evt_14']);
    expect(log.open).toMatchObject({ turnId: 'turn_2', paused: false, step: 0, attempts: 0, pending: [], answered: false });
  });

  it('drops failed model attempts and tells a call in flight from a finished step', () => {
    const rows = [
      row('user.message', text('hi')),
      row('session.status_running', {}),
      row('span.model_request_start', { model: 'm' }),
      row('span.model_request_end', end(true)),
      row('session.error', { error: { type: 'model_overloaded_error', message: 'overloaded', retry_status: 'retrying' } }),
      row('span.model_request_start', { model: 'm' }, { id: 'start_2' }),
    ];
    const log = readTurnLog(rows);
    expect(log.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(log.open).toMatchObject({ step: 0, attempts: 2, openSpan: expect.objectContaining({ id: 'start_2' }) });

    const answered = readTurnLog([...rows, row('agent.message', text('hello')), row('span.model_request_end', end(false))]);
    expect(answered.open).toMatchObject({ step: 1, attempts: 0, openSpan: undefined, answered: true });
  });

  it('lists the tool uses still without a result, with their permission and answer, and pauses on requires_action', () => {
    const rows = [
      row('user.message', text('go')),
      row('session.status_running', {}),
      row('span.model_request_start', { model: 'm' }),
      row('agent.tool_use', { name: 'Bash', input: {}, evaluated_permission: 'ask' }, { id: 'ask_1' }),
      row('agent.custom_tool_use', { name: 'lookup', input: { q: 1 } }, { id: 'custom_1' }),
      row('agent.tool_use', { name: 'Read', input: {}, evaluated_permission: 'allow' }, { id: 'allow_1' }),
      row('span.model_request_end', end(false)),
      row('session.status_idle', { stop_reason: { type: 'requires_action', event_ids: ['ask_1', 'custom_1'] } }),
      row('user.custom_tool_result', { custom_tool_use_id: 'custom_1', ...text('found'), is_error: true }, { turnId: null, processed: false }),
      row('user.tool_confirmation', { tool_use_id: 'ask_1', result: 'allow' }, { id: 'confirm_1', turnId: null, processed: false }),
    ];
    const log = readTurnLog(rows);
    expect(log.open).toMatchObject({ turnId: 'turn_1', paused: true, step: 1, answered: false });
    expect(log.open!.pending.map((p) => [p.event.id, p.custom, p.permission, p.answer?.id])).toEqual([
      ['ask_1', false, 'ask', 'confirm_1'],
      ['allow_1', false, 'allow', undefined],
    ]);
    expect(log.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'custom_1', content: 'Error: found' });
  });

  it('tells a tool call that was waiting for a sandbox (never started) from one that may have run', () => {
    const rows = [
      row('user.message', text('go')),
      row('session.status_running', {}),
      row('span.model_request_start', { model: 'm' }),
      row('agent.tool_use', { name: 'Bash', input: {}, evaluated_permission: 'allow' }, { id: 'use_1' }),
      row('agent.tool_use', { name: 'Bash', input: {}, evaluated_permission: 'allow' }, { id: 'use_2' }),
      row('span.model_request_end', end(false)),
      row('session.status_running', { detail: 'waiting_for_sandbox' }),
    ];
    expect(readTurnLog(rows).open).toMatchObject({ waitingForSandbox: true, pending: [{ name: 'Bash' }, { name: 'Bash' }] });
    // Running again: the first call may have started.
    const granted = [...rows, row('session.status_running', {})];
    expect(readTurnLog(granted).open?.waitingForSandbox).toBe(false);
    // Its result came: the wait was for the call that is over.
    expect(readTurnLog([...granted, row('agent.tool_result', { tool_use_id: 'use_1', ...text('ok'), is_error: false })]).open).toMatchObject({ waitingForSandbox: false, pending: [{ event: { id: 'use_2' } }] });
  });

  it('has no open turn once the last one ended', () => {
    const log = readTurnLog([row('user.message', text('hi')), row('session.status_running', {}), row('session.status_idle', { stop_reason: { type: 'error' } })]);
    expect(log.open).toBeUndefined();
    expect(log.queued).toEqual([]);
  });
});
