import { Injectable } from '@nestjs/common';
import { EVENT_TYPES, SendEventsRequest, toContentBlocks, type Page, type SessionEvent, type UserEventInput } from '@stratus/contracts';
import { canTransition, newEvent, toPublicEvent, type NewEvent } from '@stratus/events';
import { conflict, enumArrayParam, notFound, parseOrThrow, type Query } from '@stratus/nest-common';
import { paginate, parseListParams } from '../common/pagination';
import { SessionsRepository } from '../sessions/sessions.repository';
import { DispatchRepository } from '../turns/dispatch.repository';
import { EventsRepository, type SendDecision, type SessionForSend } from './events.repository';

function toNewEvent(input: UserEventInput): NewEvent {
  switch (input.type) {
    case 'user.message':
      return newEvent(input.type, { content: toContentBlocks(input.content) });
    case 'user.interrupt':
      // Handled on receipt: storing it is what stops the running turn (or nothing, when idle).
      return newEvent(input.type, {}, { processed: true });
    case 'user.custom_tool_result':
      return newEvent(input.type, { custom_tool_use_id: input.custom_tool_use_id, content: toContentBlocks(input.content), is_error: input.is_error });
    case 'user.tool_confirmation':
      return newEvent(input.type, { tool_use_id: input.tool_use_id, result: input.result, ...(input.deny_message !== undefined ? { deny_message: input.deny_message } : {}) });
  }
}

/**
 * Rejects the request unless every answer matches a tool use that is still waiting for it, then
 * decides what storing it does: an idle session with something to act on (a message, or the last
 * missing answers of a paused turn) is woken; an interrupt stops a running turn. A message sent while
 * tool uses still wait for answers stays queued until the paused turn has finished.
 */
function decideSend(inputs: UserEventInput[], state: SessionForSend): SendDecision {
  if (state.archived) throw conflict('The session is archived; it accepts no new events.');
  const answered = new Set<string>();
  inputs.forEach((input, i) => {
    if (input.type !== 'user.custom_tool_result' && input.type !== 'user.tool_confirmation') return;
    const [id, expected, param] =
      input.type === 'user.custom_tool_result'
        ? [input.custom_tool_use_id, ['agent.custom_tool_use'], `events.${i}.custom_tool_use_id`]
        : [input.tool_use_id, ['agent.tool_use', 'agent.mcp_tool_use'], `events.${i}.tool_use_id`];
    const asked = state.pending.get(id);
    if (asked === undefined || !expected.includes(asked) || answered.has(id)) {
      throw conflict(`${id} is not a pending ${expected.join(' or ')} of this session.`, param);
    }
    answered.add(id);
  });
  const waiting = [...state.pending.keys()].some((id) => !answered.has(id));
  const actionable = inputs.some((input) => input.type !== 'user.interrupt');
  return {
    wake: canTransition(state.status, 'wake') && actionable && !waiting,
    interrupt: canTransition(state.status, 'interrupt') && inputs.some((input) => input.type === 'user.interrupt'),
  };
}

@Injectable()
export class EventsService {
  constructor(
    private readonly events: EventsRepository,
    private readonly sessions: SessionsRepository,
    private readonly dispatch: DispatchRepository,
  ) {}

  /** Validates and stores the client's events atomically: all of them, or none. */
  async send(workspaceId: string, sessionId: string, body: unknown): Promise<{ data: SessionEvent[] }> {
    const input = parseOrThrow(SendEventsRequest, body);
    const outcome = await this.events.appendChecked({ sessionId, workspaceId }, input.events.map(toNewEvent), (state) => decideSend(input.events, state));
    if (!outcome) throw notFound('Session', sessionId);
    if (outcome.wake) await this.dispatch.enqueue(sessionId, outcome.rows.at(-1)!.seq);
    if (outcome.interrupt) await this.dispatch.signal(sessionId, 'interrupt');
    return { data: outcome.rows.map(toPublicEvent) };
  }

  async list(workspaceId: string, sessionId: string, query: Query): Promise<Page<SessionEvent>> {
    const params = parseListParams(query, 'asc');
    const types = enumArrayParam(query, 'types', EVENT_TYPES) ?? enumArrayParam(query, 'type', EVENT_TYPES);
    if (!(await this.sessions.exists(workspaceId, sessionId))) throw notFound('Session', sessionId);
    const page = await paginate(
      params,
      (cursorId) => this.events.seqOf(sessionId, cursorId),
      (slice) => this.events.listSlice(sessionId, types, slice),
      (row) => row.id,
    );
    return { ...page, data: page.data.map(toPublicEvent) };
  }
}
