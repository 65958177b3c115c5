import type { FastifyInstance } from 'fastify';
import { ConcurrencyLimit } from '../concurrency/concurrency-limit';
import { ApiError } from '../errors/api-error';
import { toErrorResponse } from '../errors/error-response';

export interface AdmissionOptions {
  /** API requests worked on at once. */
  maxInFlight: number;
  /** How long a request may wait in line for a slot before it is refused. */
  queueTimeoutMs: number;
}

/** Seconds a refused client is told to wait: the line is full now, not for long. */
const RETRY_AFTER_SECONDS = '1';

/** Whether a request takes a slot: API calls do; probes, the reference page and long-lived SSE streams do not. */
function takesSlot(url: string, prefix: string): boolean {
  const path = url.split('?', 1)[0]!;
  return path.startsWith(`/${prefix}/`) && !path.endsWith('/events/stream');
}

/**
 * Back-pressure at the edge. A process works on at most `maxInFlight` API requests; the others wait
 * in line, in order, and one that waits longer than `queueTimeoutMs` is answered 503 overloaded_error
 * with retry-after before its body is read, its token checked or anything of it stored. Admitted
 * requests then meet at most that many rivals for the database pool, so they wait for a connection
 * briefly instead of failing after the work has begun.
 */
export function limitAdmission(fastify: FastifyInstance, prefix: string, options: AdmissionOptions): void {
  const limit = new ConcurrencyLimit(options.maxInFlight);
  fastify.addHook('onRequest', async (request, reply) => {
    if (!takesSlot(request.url, prefix)) return;
    const release = await limit.acquire({ timeoutMs: options.queueTimeoutMs });
    if (release) {
      // 'close' follows the end of the response, or a client that went away first: the slot is freed either way.
      reply.raw.once('close', release);
      return;
    }
    const response = toErrorResponse(new ApiError(503, 'The server is busy; retry shortly.', undefined, { 'retry-after': RETRY_AFTER_SECONDS }), request.id);
    return reply.status(response.status).headers(response.headers).send(response.body);
  });
}
