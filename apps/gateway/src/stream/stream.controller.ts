import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { Auth, type AuthContext, type Query as QueryParams } from '@stratus/nest-common';
import type { FastifyReply } from 'fastify';
import { StreamService } from './stream.service';

/** Sent with every stream; `connection: close` so that a stream that ends frees its socket and the client reconnects afresh (maybe elsewhere). */
const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'close',
  // Proxies such as nginx would otherwise buffer the stream.
  'x-accel-buffering': 'no',
};

@Controller('sessions/:sessionId/events/stream')
export class StreamController {
  constructor(private readonly streams: StreamService) {}

  /**
   * Errors are answered in the usual envelope before anything is streamed; then the reply is
   * taken over from Fastify, so that writes go straight to the socket with real back-pressure.
   */
  @Get()
  async stream(
    @Auth() auth: AuthContext,
    @Param('sessionId') sessionId: string,
    @Query() query: QueryParams,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { connection, afterSeq } = await this.streams.prepare(auth, sessionId, query, lastEventId);
    reply.hijack();
    connection.start(reply.raw, afterSeq, { ...(reply.getHeaders() as Record<string, string>), ...STREAM_HEADERS });
  }
}
