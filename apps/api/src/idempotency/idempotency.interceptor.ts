import { createHash } from 'node:crypto';
import { type CallHandler, type ExecutionContext, Inject, Injectable, Logger, type NestInterceptor, UseInterceptors } from '@nestjs/common';
import { conflict, invalidRequest, SERVER_ENV, type ServerEnv, toErrorResponse } from '@stratus/nest-common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { type IdempotencyClaim, IdempotencyRepository } from './idempotency.repository';

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
 * What is kept of a response for replay. A webhook's signing secret is shown once and stored only
 * sealed, never in clear here: a replay of its create or rotation answers without it.
 */
function storable(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('secret' in body) || !('type' in body) || body.type !== 'webhook') return body;
  return Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'secret'));
}

/**
 * Idempotency-Key on POST and DELETE, scoped per token and kept 24 h: the same key and request
 * replay the first response (header `idempotent-replayed: true`) without repeating the action;
 * another request under the key, or one while the first is still in flight, is a 409.
 * Responses to client errors are remembered too; a failure on our side (5xx) is forgotten so
 * that the client's retry runs again. An in-flight claim holds the key only for a lease
 * (STRATUS_IDEMPOTENCY_LEASE_MS): a request whose process died, or whose response could not be
 * stored, no longer blocks retries once it has passed.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('idempotency');

  constructor(
    private readonly keys: IdempotencyRepository,
    @Inject(SERVER_ENV) private readonly env: ServerEnv,
  ) {}

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
    const result = await this.keys.claim(tokenId, key, hash, this.env.STRATUS_IDEMPOTENCY_LEASE_MS);
    if ('held' in result) {
      const { held } = result;
      if (held.requestHash !== hash) throw conflict('Idempotency key reused with a different request body.', 'Idempotency-Key');
      if (held.responseStatus === null) throw conflict('A request with this Idempotency-Key is still in progress.', 'Idempotency-Key');
      void reply.status(held.responseStatus).header('idempotent-replayed', 'true');
      return held.responseBody;
    }
    const { claimed } = result;
    const stopRenewing = this.keepLease(claimed);
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle() as Observable<unknown>, { defaultValue: undefined });
    } catch (error) {
      stopRenewing();
      const response = toErrorResponse(error, request.id);
      if (response.status >= 500) await this.keys.release(claimed).catch((err: unknown) => this.logger.warn({ err }, 'could not release an idempotency claim; it lapses with its lease'));
      else await this.remember(claimed, response.status, response.body);
      throw error;
    }
    stopRenewing();
    await this.remember(claimed, reply.statusCode, body);
    return body;
  }

  /**
   * Renews the lease every third of it while the request runs, so that only a claim whose process
   * died (or could not reach PostgreSQL for a whole lease) lapses, never a slow request that is
   * still working. Returns the function that stops renewing.
   */
  private keepLease(claim: IdempotencyClaim): () => void {
    const leaseMs = this.env.STRATUS_IDEMPOTENCY_LEASE_MS;
    const timer = setInterval(() => {
      this.keys.renew(claim, leaseMs).then(
        (held) => {
          if (!held) clearInterval(timer);
        },
        (err: unknown) => this.logger.warn({ err }, 'could not renew an idempotency lease; trying again'),
      );
    }, leaseMs / 3).unref();
    return () => clearInterval(timer);
  }

  /**
   * Stores the response for replay. The action has happened by now, so a failure to store it
   * must not turn the reply into an error: the claim then lapses with its lease.
   */
  private async remember(claim: IdempotencyClaim, status: number, body: unknown): Promise<void> {
    try {
      await this.keys.complete(claim, status, storable(body), TTL_MS);
    } catch (err) {
      this.logger.warn({ err }, 'could not store an idempotent response; retries may run again once the lease passes');
    }
  }
}

/**
 * Marks a POST or DELETE handler as honouring Idempotency-Key. Applied per handler rather than
 * globally: a global interceptor puts every request, reads included, through Nest's rxjs pipeline,
 * a measurable share of the CPU a point read costs. Every write route carries it (a spec checks).
 */
export const Idempotent = (): MethodDecorator => UseInterceptors(IdempotencyInterceptor);
