import type { EventPayload, EventType } from '@stratus/contracts';
import { awaitsAnswer, confirmationOf, pendingToolUses, toolUseOf } from './pending-tool-uses';
import { newEvent, type LoggedEvent } from './typed-events';

const event = <T extends EventType>(id: string, type: T, payload: EventPayload<T>): LoggedEvent => ({ id, type, payload: newEvent(type, payload).payload });
const text = [{ type: 'text' as const, text: 'out' }];

const ask = event('ask_1', 'agent.tool_use', { name: 'Bash', input: { command: 'rm -rf build' }, evaluated_permission: 'ask' });
const allow = event('allow_1', 'agent.tool_use', { name: 'Read', input: { path: 'a' }, evaluated_permission: 'allow' });
const custom = event('custom_1', 'agent.custom_tool_use', { name: 'lookup', input: { q: 1 } });
const mcp = event('mcp_1', 'agent.mcp_tool_use', { name: 'forecast', mcp_server_name: 'weather', input: {}, evaluated_permission: 'allow' });
const uses = [ask, allow, custom, mcp];

describe('pendingToolUses', () => {
  it('lists every tool use without a result, in order, read from its payload', () => {
    expect(pendingToolUses(uses, [])).toEqual([
      { event: ask, custom: false, name: 'Bash', input: { command: 'rm -rf build' }, permission: 'ask' },
      { event: allow, custom: false, name: 'Read', input: { path: 'a' }, permission: 'allow' },
      { event: custom, custom: true, name: 'lookup', input: { q: 1 } },
      { event: mcp, custom: false, mcpServer: 'weather', name: 'forecast', input: {}, permission: 'allow' },
    ]);
    expect(pendingToolUses(uses, []).filter(awaitsAnswer).map((use) => use.event.id)).toEqual(['ask_1', 'custom_1']);
  });

  it('drops the uses that have a result, and attaches each answer to the use it answers', () => {
    const confirm = event('confirm_1', 'user.tool_confirmation', { tool_use_id: 'ask_1', result: 'deny', deny_message: 'not that' });
    const log = [
      event('result_1', 'agent.tool_result', { tool_use_id: 'allow_1', content: text, is_error: false }),
      event('result_2', 'agent.mcp_tool_result', { mcp_tool_use_id: 'mcp_1', content: text, is_error: false }),
      event('answer_1', 'user.custom_tool_result', { custom_tool_use_id: 'custom_1', content: text, is_error: false }),
      confirm,
      event('msg_1', 'user.message', { content: text }),
    ];
    const pending = pendingToolUses(uses, log);
    expect(pending.map((use) => [use.event.id, use.answer?.id])).toEqual([['ask_1', 'confirm_1']]);
    expect(awaitsAnswer(pending[0]!)).toBe(false);
    expect(confirmationOf(pending[0]!)).toEqual({ tool_use_id: 'ask_1', result: 'deny', deny_message: 'not that' });
  });

  it('ignores events that are not tool uses, and answers to other uses', () => {
    const stray = event('confirm_9', 'user.tool_confirmation', { tool_use_id: 'elsewhere', result: 'allow' });
    expect(pendingToolUses([event('msg_1', 'agent.message', { content: text }), ask], [stray]).map((use) => [use.event.id, use.answer])).toEqual([['ask_1', undefined]]);
    expect(toolUseOf(stray)).toBeUndefined();
    expect(confirmationOf({ ...toolUseOf(ask)!, event: ask })).toBeUndefined();
  });
});
