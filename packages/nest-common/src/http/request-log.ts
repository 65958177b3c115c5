import type { FastifyInstance } from 'fastify';
import { stratusMetrics } from '@stratus/telemetry';
import type { Logger } from 'pino';

/** Probes answer every few seconds; a line each would bury everything else at `info`. */
const PROBES = new Set(['/healthz', '/readyz']);

/**
 * One log line and one http.server.request.duration measurement per finished request: method, route pattern (never the raw URL, whose ids and query
 * are noise), status, duration and request id, at `info`; server errors at `error`, probes at `debug`.
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  const log = logger.child({ context: 'http' });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(no route)';
    const line = { method: request.method, route, status: reply.statusCode, duration_ms: Math.round(reply.elapsedTime * 10) / 10, request_id: request.id };
    const message = `${request.method} ${route} ${reply.statusCode} ${line.duration_ms} ms`;
    stratusMetrics().httpServerDuration.record(reply.elapsedTime / 1000, {
      'http.request.method': request.method,
      'http.route': route,
      'http.response.status_code': reply.statusCode,
    });
    if (reply.statusCode >= 500) log.error(line, message);
    else if (PROBES.has(route)) log.debug(line, message);
    else log.info(line, message);
  });
}
