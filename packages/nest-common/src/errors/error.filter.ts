import { type ArgumentsHost, Catch, type ExceptionFilter, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { routeMethodsOf } from '../http/route-methods';
import { ApiError } from './api-error';
import { toErrorResponse } from './error-response';

/** Nest's "no route" for a path that other methods do answer becomes 405 with `allow`. */
function methodNotAllowed(exception: unknown, request: FastifyRequest): ApiError | undefined {
  if (!(exception instanceof NotFoundException)) return undefined;
  const allowed = routeMethodsOf(request.server)?.allowed(request.url) ?? [];
  if (allowed.length === 0) return undefined;
  const allow = allowed.join(', ');
  return new ApiError(405, `${request.method} is not allowed on this path; it answers ${allow}.`, undefined, { allow });
}

/** Renders every error thrown in a route as the public error envelope. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const response = toErrorResponse(methodNotAllowed(exception, request) ?? exception, request.id);
    if (response.unexpected) {
      this.logger.error({ err: exception, requestId: request.id, method: request.method, url: request.url }, (exception as Error)?.stack);
    }
    void reply.status(response.status).headers(response.headers).send(response.body);
  }
}
