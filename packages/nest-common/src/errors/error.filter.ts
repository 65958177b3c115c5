import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-response';

/** Renders every error thrown in a route as the public error envelope. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const response = toErrorResponse(exception, request.id);
    if (response.unexpected) {
      this.logger.error({ err: exception, requestId: request.id, method: request.method, url: request.url }, (exception as Error)?.stack);
    }
    void reply.status(response.status).headers(response.headers).send(response.body);
  }
}
