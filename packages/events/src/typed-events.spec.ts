import { EVENT_TYPES, EventPayloads, type EventPayload, type EventType } from '@stratus/contracts';
import { contentText, EventPayloadError, isEventType, newEvent, payloadOf } from './typed-events';

const stored = (type: string, payload: unknown) => ({ id: 'evt_1', type, payload });

describe('newEvent', () => {
  it('builds an event of the type with its payload and storage options', () => {
    const event = newEvent('agent.tool_use', { name: 'Bash', input: { command: 'ls' }, evaluated_permission: 'ask' }, { turnId: 'turn_1', dedupeKey: 'k', processed: true });
    expect(event).toEqual({ type: 'agent.tool_use', turnId: 'turn_1', dedupeKey: 'k', processed: true, payload: { name: 'Bash', input: { command: 'ls' }, evaluated_permission: 'ask' } });
  });

  it('refuses a payload its type does not allow, naming the field', () => {
    // Payloads a caller outside the type checker (JSON, a test, a bug) could hand over.
    const wrong: [string, unknown][] = [
      ['session.status_idle', {}],
      ['session.status_idle', { stop_reason: { type: 'finished' } }],
      ['agent.tool_result', { tool_use_id: 'evt_2', content: 'plain text', is_error: false }],
      ['user.tool_confirmation', { tool_use_id: 'evt_2', result: 'maybe' }],
      ['span.model_request_end', { model_request_start_id: 'evt_2', model_usage: { input_tokens: -1, output_tokens: 0 }, is_error: false }],
      ['agent.mcp_tool_use', { name: 'forecast', input: {}, evaluated_permission: 'allow' }],
    ];
    for (const [type, payload] of wrong) {
      expect(() => Reflect.apply(newEvent, undefined, [type, payload])).toThrow(EventPayloadError);
    }
    expect(() => Reflect.apply(newEvent, undefined, ['agent.mcp_tool_use', { name: 'forecast', input: {}, evaluated_permission: 'allow' }])).toThrow(/mcp_server_name/);
  });

  it('stores only the fields of the schema', () => {
    const event = Reflect.apply(newEvent, undefined, ['user.message', { content: [{ type: 'text', text: 'hi' }], id: 'evt_forged', session_id: 'sess_other' }]);
    expect(event.payload).toEqual({ content: [{ type: 'text', text: 'hi' }] });
  });

  it('keeps a tool input the model sent as it was, JSON or not', () => {
    expect(newEvent('agent.custom_tool_use', { name: 'lookup', input: '{not json' }).payload.input).toBe('{not json');
  });
});

describe('payloadOf', () => {
  it('reads the payload of an event of the type', () => {
    const payload = payloadOf(stored('session.error', { error: { type: 'model_overloaded_error', message: 'busy', retry_status: 'retrying', provider_status: 529 } }), 'session.error');
    expect(payload.error.provider_status).toBe(529);
  });

  it('refuses an event of another type', () => {
    expect(() => payloadOf(stored('agent.message', { content: [] }), 'agent.thinking')).toThrow('event evt_1 is a agent.message, not a agent.thinking');
  });

  it('refuses a stored payload its type does not allow', () => {
    expect(() => payloadOf(stored('agent.message', { content: 'hi' }), 'agent.message')).toThrow(EventPayloadError);
    expect(() => payloadOf(stored('span.model_request_end', null), 'span.model_request_end')).toThrow(EventPayloadError);
  });

  it('reads back what newEvent built, for every event type', () => {
    const samples = {
      'user.message': { content: [{ type: 'text', text: 'hi' }] },
      'user.interrupt': {},
      'user.custom_tool_result': { custom_tool_use_id: 'evt_2', content: [], is_error: false },
      'user.tool_confirmation': { tool_use_id: 'evt_2', result: 'deny', deny_message: 'no' },
      'session.status_running': {},
      'session.status_idle': { stop_reason: { type: 'requires_action', event_ids: ['evt_2'] } },
      'session.error': { error: { type: 'unknown_error', message: 'x', retry_status: 'terminal' } },
      'session.deleted': {},
      'span.model_request_start': { model: 'm' },
      'span.model_request_end': { model_request_start_id: 'evt_2', model_usage: { input_tokens: 1, output_tokens: 2 }, is_error: false },
      'agent.thinking': { content: [] },
      'agent.message': { content: [{ type: 'text', text: 'a' }] },
      'agent.tool_use': { name: 'Bash', input: { command: 'ls' }, evaluated_permission: 'allow' },
      'agent.tool_result': { tool_use_id: 'evt_2', content: [], is_error: true },
      'agent.custom_tool_use': { name: 'lookup', input: [1, 2] },
      'agent.mcp_tool_use': { name: 'forecast', mcp_server_name: 'weather', input: {}, evaluated_permission: 'ask' },
      'agent.mcp_tool_result': { mcp_tool_use_id: 'evt_2', content: [], is_error: false },
    } satisfies { [T in EventType]: EventPayload<T> };
    expect(Object.keys(samples).sort()).toEqual([...EVENT_TYPES].sort());
    expect(Object.keys(EventPayloads).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      const event = newEvent(type, samples[type]);
      expect(payloadOf({ id: 'evt_1', type, payload: JSON.parse(JSON.stringify(event.payload)) }, type)).toEqual(samples[type]);
    }
  });
});

describe('helpers', () => {
  it('tells event types from other strings', () => {
    expect(isEventType('agent.message')).toBe(true);
    expect(isEventType('agent.unknown')).toBe(false);
  });

  it('joins content blocks by line', () => {
    expect(contentText([{ text: 'a' }, { text: 'b' }])).toBe('a\nb');
  });
});
