import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { newId } from '@stratus/db';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULT_BODY_MAX_DEPTH, type ServerEnv } from '../config/env';
import { invalidRequest } from '../errors/api-error';
import { type AdmissionOptions, limitAdmission } from './admission';
import { checkJsonBody } from './json-body';
import { PinoNestLogger } from '../logger';
import { logRequests } from './request-log';
import { trackRouteMethods } from './route-methods';

/** Every public route lives under this prefix. */
export const API_PREFIX = 'api/v1/cloud';

/** Routes outside the prefix: probes and the reference page. */
const UNPREFIXED = [
  { path: 'healthz', method: RequestMethod.GET },
  { path: 'readyz', method: RequestMethod.GET },
  { path: 'docs', method: RequestMethod.GET },
  { path: 'docs/assets/:file', method: RequestMethod.GET },
];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON is assumed whatever the Content-Type says (Qoder makes the header optional), an empty
 * body is no body (SDKs send `content-type: application/json` on body-less POSTs), and bad JSON
 * (or not UTF-8, nested too deep, holding NUL characters or numbers out of range) is a 400 in the
 * public envelope.
 */
function registerJsonParser(fastify: FastifyInstance, maxDepth: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    let text: string;
    try {
      // Decoding leniently would store U+FFFD in place of whatever the client meant.
      text = utf8.decode(body as Buffer);
    } catch {
      return done(invalidRequest('Request body must be UTF-8.'), undefined);
    }
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(invalidRequest('Request body must be valid JSON.'), undefined);
    }
    const refusal = checkJsonBody(parsed, maxDepth);
    if (refusal) return done(refusal, undefined);
    done(null, parsed);
  });
}

export interface HttpAppOptions {
  bodyLimit: number;
  /** Deepest nesting of arrays and objects a JSON body may have (default 64); deeper is a 400. */
  bodyMaxDepth?: number;
  logger: Logger;
  /** Back-pressure: how many API requests are worked on at once, and how long others may wait. No limit when omitted. */
  admission?: AdmissionOptions;
}

/** The options a server's environment gives its HTTP app. */
export function httpAppOptions(env: ServerEnv, logger: Logger): HttpAppOptions {
  return {
    bodyLimit: env.BODY_LIMIT_BYTES,
    bodyMaxDepth: env.BODY_MAX_DEPTH,
    logger,
    admission: { maxInFlight: env.STRATUS_API_MAX_IN_FLIGHT, queueTimeoutMs: env.STRATUS_API_QUEUE_TIMEOUT_MS },
  };
}

/**
 * Creates the Fastify-based Nest application for a root module (the API alone, or the all-in-one
 * composition), with request ids, the JSON parser and the route prefix set up identically.
 */
export async function createHttpApp(rootModule: unknown, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit,
    genReqId: () => newId('request'),
    requestIdHeader: false,
    // Node's own timeout would cut long-lived SSE streams.
    requestTimeout: 0,
  });
  const fastify = adapter.getInstance<FastifyInstance>();
  registerJsonParser(fastify, options.bodyMaxDepth ?? DEFAULT_BODY_MAX_DEPTH);
  trackRouteMethods(fastify);
  logRequests(fastify, options.logger);
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('request-id', request.id);
    // A NUL in a path segment or query value could never match a stored id or value.
    if (request.url.includes('%00')) throw invalidRequest('The URL may not contain NUL characters.');
  });
  if (options.admission) limitAdmission(fastify, API_PREFIX, options.admission);
  const app = await NestFactory.create<NestFastifyApplication>(rootModule as never, adapter, {
    logger: new PinoNestLogger(options.logger),
    // Nest would register Fastify's strict JSON parser over ours.
    bodyParser: false,
  });
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
  return app;
}
