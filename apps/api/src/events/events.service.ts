import { Injectable } from '@nestjs/common';
import { EVENT_TYPES, SendEventsRequest, toContentBlocks, type Page, type SessionEvent, type UserEventInput } from '@stratus/contracts';
import { toPublicEvent, type NewEvent } from '@stratus/events';
import { conflict, enumArrayParam, notFound, parseOrThrow, type Query } from '@stratus/nest-common';
import { paginate, parseListParams } from '../common/pagination';
import { SessionsRepository } from '../sessions/sessions.repository';
import { EventsRepository, type SessionForSend } from './events.repository';

function toNewEvent(input: UserEventInput): NewEvent {
  switch (input.type) {
    case 'user.message':
      return { type: input.type, payload: { content: toContentBlocks(input.content) } };
    case 'user.interrupt':
      return { type: input.type, payload: {} };
    case 'user.custom_tool_result':
      return { type: input.type, payload: { custom_tool_use_id: input.custom_tool_use_id, content: toContentBlocks(input.content), is_error: input.is_error } };
    case 'user.tool_confirmation':
      return { type: input.type, payload: { tool_use_id: input.tool_use_id, result: input.result, ...(input.deny_message !== undefined ? { deny_message: input.deny_message } : {}) } };
  }
}

/** Rejects the request unless every answer matches a tool use that is still waiting for it. */
function checkSend(inputs: UserEventInput[], state: SessionForSend): void {
  if (state.archived) throw conflict('The session is archived; it accepts no new events.');
  const answered = new Set<string>();
  inputs.forEach((input, i) => {
    if (input.type !== 'user.custom_tool_result' && input.type !== 'user.tool_confirmation') return;
    const [id, expected, param] =
      input.type === 'user.custom_tool_result'
        ? [input.custom_tool_use_id, 'agent.custom_tool_use', `events.${i}.custom_tool_use_id`]
        : [input.tool_use_id, 'agent.tool_use', `events.${i}.tool_use_id`];
    if (state.pending.get(id) !== expected || answered.has(id)) {
      throw conflict(`${id} is not a pending ${expected} of this session.`, param);
    }
    answered.add(id);
  });
}

@Injectable()
export class EventsService {
  constructor(
    private readonly events: EventsRepository,
    private readonly sessions: SessionsRepository,
  ) {}

  /** Validates and stores the client's events atomically: all of them, or none. */
  async send(workspaceId: string, sessionId: string, body: unknown): Promise<{ data: SessionEvent[] }> {
    const input = parseOrThrow(SendEventsRequest, body);
    if (!(await this.sessions.exists(workspaceId, sessionId))) throw notFound('Session', sessionId);
    const rows = await this.events.appendChecked(sessionId, input.events.map(toNewEvent), (state) => checkSend(input.events, state));
    if (!rows) throw notFound('Session', sessionId);
    return { data: rows.map(toPublicEvent) };
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
