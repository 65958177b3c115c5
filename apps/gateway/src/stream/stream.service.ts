import { Injectable } from '@nestjs/common';
import { invalidRequest, notFound, overloaded, type AuthContext, type Query } from '@stratus/nest-common';
import { HistoryRepository } from '../history/history.repository';
import { StreamLimits } from '../limits/stream-limits.service';
import type { SseConnection } from './sse-connection';
import { StreamHub } from './stream-hub.service';
import { parseStreamParams } from './stream-params';

/** A stream ready to start: subscribed, checked, and positioned. */
export interface PreparedStream {
  connection: SseConnection;
  afterSeq: number;
}

@Injectable()
export class StreamService {
  constructor(
    private readonly hub: StreamHub,
    private readonly history: HistoryRepository,
    private readonly limits: StreamLimits,
  ) {}

  /**
   * Everything that can fail with an error response, done before the stream starts: parameters,
   * a slot under the stream caps, the session (in the caller's workspace), the resume point. The
   * live subscription comes before the history read, so that whatever is published from now on
   * reaches the stream after the history it reads.
   */
  async prepare(auth: AuthContext, sessionId: string, query: Query, lastEventIdHeader: string | string[] | undefined): Promise<PreparedStream> {
    const params = parseStreamParams(query, lastEventIdHeader);
    if (this.hub.draining) throw overloaded('This gateway is shutting down; reconnect to another one.');
    const slot = await this.limits.acquire(auth.tokenId);
    const connection = await this.hub.open(sessionId, auth.tokenId, params.previewTypes, () => slot.release());
    try {
      if (!(await this.history.sessionExists(auth.workspaceId, sessionId))) throw notFound('Session', sessionId);
      if (params.lastEventId === undefined) return { connection, afterSeq: 0 };
      const afterSeq = await this.history.seqOf(sessionId, params.lastEventId);
      if (afterSeq === undefined) throw invalidRequest(`Last-Event-ID ${params.lastEventId} is not an event of session ${sessionId}.`, 'last_event_id');
      return { connection, afterSeq };
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }
}
