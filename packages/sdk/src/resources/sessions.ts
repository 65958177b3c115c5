import type { CreateSessionRequest, Session, SessionCancelResult, SessionDeleted, SessionStatus, UpdateSessionRequest } from '@stratus/contracts';
import type { Transport } from '../core/transport.js';
import type { InputOf, OutputOf, RequestOptions } from '../core/types.js';
import { runTurn, type RunOptions, type RunResult } from '../runs/run-turn.js';
import { CollectionResource } from './collection.js';
import type { ArchivableListParams } from './shared.js';
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
export class Sessions extends CollectionResource<Session, SessionCreateParams, SessionUpdateParams, SessionListParams> {
  protected readonly path = '/sessions';
  readonly events: SessionEvents;

  constructor(transport: Transport) {
    super(transport);
    this.events = new SessionEvents(transport);
  }

  retrieve(sessionId: string, options?: RequestOptions): Promise<Session> {
    return this.retrieveObject(sessionId, options);
  }

  /** No new messages afterwards; the history stays readable. */
  archive(sessionId: string, options?: RequestOptions): Promise<Session> {
    return this.archiveObject(sessionId, options);
  }

  /** Stops the running turn (status `canceling`, then `idle`); a no-op on an idle session. */
  cancel(sessionId: string, options?: RequestOptions): Promise<SessionCancelResult> {
    return this.transport.request('POST', this.objectPath(sessionId, 'cancel'), options);
  }

  /** Stops any turn, destroys the sandbox and deletes the events. */
  delete(sessionId: string, options?: RequestOptions): Promise<SessionDeleteResult> {
    return this.deleteObject(sessionId, options);
  }

  /**
   * Sends a user message and resolves when its turn ends (`session.status_idle`) with the turn's
   * events. The stream is opened before the message is sent, so no event of the turn is missed.
   */
  run(sessionId: string, content: MessageContent, options: RunOptions = {}): Promise<RunResult> {
    return runTurn(this.events, sessionId, content, options);
  }
}
