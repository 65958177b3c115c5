import { createHash } from 'node:crypto';
import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { conflict, invalidRequest, toErrorResponse } from '@stratus/nest-common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { IdempotencyRepository } from './idempotency.repository';

const TTL_MS = 24 * 60 * 60 * 1000;
const MAX_KEY_LENGTH = 255;

/** Fingerprint of what the request asks for: the same key with another request is a conflict. */
function fingerprint(request: FastifyRequest): string {
  return createHash('sha256')
    .update(request.method)
    .update('\0')
    .update(request.url.split('?')[0]!)
    .update('\0')
    .update(JSON.stringify(request.body ?? null))
    .digest('hex');
}

/**
 * Idempotency-Key on POST and DELETE, scoped per token and kept 24 h: the same key and request
 * replay the first response (header `idempotent-replayed: true`) without repeating the action;
 * another request under the key, or one while the first is still in flight, is a 409.
 * Responses to client errors are remembered too; a failure on our side (5xx) is forgotten so
 * that the client's retry runs again.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly keys: IdempotencyRepository) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const raw = request.headers['idempotency-key'];
    if (raw === undefined || !request.auth || (request.method !== 'POST' && request.method !== 'DELETE')) return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.run(request, reply, Array.isArray(raw) ? raw[0]! : raw, next));
  }

  private async run(request: FastifyRequest, reply: FastifyReply, key: string, next: CallHandler): Promise<unknown> {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw invalidRequest(`Idempotency-Key: must be 1 to ${MAX_KEY_LENGTH} characters long.`, 'Idempotency-Key');
    const tokenId = request.auth!.tokenId;
    const hash = fingerprint(request);
    const held = await this.keys.claim(tokenId, key, hash, TTL_MS);
    if (held) {
      if (held.requestHash !== hash) throw conflict('Idempotency key reused with a different request body.', 'Idempotency-Key');
      if (held.responseStatus === null) throw conflict('A request with this Idempotency-Key is still in progress.', 'Idempotency-Key');
      void reply.status(held.responseStatus).header('idempotent-replayed', 'true');
      return held.responseBody;
    }
    try {
      const body: unknown = await lastValueFrom(next.handle() as Observable<unknown>, { defaultValue: undefined });
      await this.keys.complete(tokenId, key, reply.statusCode, body);
      return body;
    } catch (error) {
      const response = toErrorResponse(error, request.id);
      if (response.status >= 500) await this.keys.release(tokenId, key).catch(() => undefined);
      else await this.keys.complete(tokenId, key, response.status, response.body);
      throw error;
    }
  }
}
