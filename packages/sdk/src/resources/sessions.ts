import type { CreateSessionRequest, Session, SessionCancelResult, SessionDeleted, SessionStatus, UpdateSessionRequest } from '@stratus/contracts';
import type { PageList } from '../core/pagination.js';
import { APIResource, segment } from '../core/resource.js';
import type { Transport } from '../core/transport.js';
import type { InputOf, OutputOf, RequestOptions } from '../core/types.js';
import { runTurn, type RunOptions, type RunResult } from '../runs/run-turn.js';
import { listQuery, type ArchivableListParams } from './shared.js';
import { SessionEvents, type UserEventParam } from './session-events.js';

export type SessionCreateParams = InputOf<typeof CreateSessionRequest>;
export type SessionUpdateParams = InputOf<typeof UpdateSessionRequest>;
export type SessionCancelResult = OutputOf<typeof SessionCancelResult>;
export type SessionDeleteResult = OutputOf<typeof SessionDeleted>;

export interface SessionListParams extends ArchivableListParams {
  agent_id?: string;
  statuses?: SessionStatus[];
}

/** What `run` sends: text, or text blocks. */
export type MessageContent = Extract<UserEventParam, { type: 'user.message' }>['content'];

/** `/sessions`: conversations of an agent in an environment, their events, and whole turns. */
export class Sessions extends APIResource {
  readonly events: SessionEvents;

  constructor(transport: Transport) {
    super(transport);
    this.events = new SessionEvents(transport);
  }

  create(body: SessionCreateParams, options?: RequestOptions): Promise<Session> {
    return this.transport.request('POST', '/sessions', { ...options, body });
  }

  retrieve(sessionId: string, options?: RequestOptions): Promise<Session> {
    return this.transport.request('GET', `/sessions/${segment(sessionId)}`, options);
  }

  update(sessionId: string, body: SessionUpdateParams, options?: RequestOptions): Promise<Session> {
    return this.transport.request('POST', `/sessions/${segment(sessionId)}`, { ...options, body });
  }

  list(params: SessionListParams = {}, options?: RequestOptions): PageList<Session> {
    return this.paginate<Session>('/sessions', listQuery(params), options);
  }

  /** No new messages afterwards; the history stays readable. */
  archive(sessionId: string, options?: RequestOptions): Promise<Session> {
    return this.transport.request('POST', `/sessions/${segment(sessionId)}/archive`, options);
  }

  /** Stops the running turn (status `canceling`, then `idle`); a no-op on an idle session. */
  cancel(sessionId: string, options?: RequestOptions): Promise<SessionCancelResult> {
    return this.transport.request('POST', `/sessions/${segment(sessionId)}/cancel`, options);
  }

  /** Stops any turn, destroys the sandbox and deletes the events. */
  delete(sessionId: string, options?: RequestOptions): Promise<SessionDeleteResult> {
    return this.transport.request('DELETE', `/sessions/${segment(sessionId)}`, options);
  }

  /**
   * Sends a user message and resolves when its turn ends (`session.status_idle`) with the turn's
   * events. The stream is opened before the message is sent, so no event of the turn is missed.
   */
  run(sessionId: string, content: MessageContent, options: RunOptions = {}): Promise<RunResult> {
    return runTurn(this.events, sessionId, content, options);
  }
}
