import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { newId } from '@stratus/db';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { invalidRequest } from '../errors/api-error';
import { PinoNestLogger } from '../logger';

/** Every public route lives under this prefix. */
export const API_PREFIX = 'api/v1/cloud';

/** Routes outside the prefix: probes and the reference page. */
const UNPREFIXED = [
  { path: 'healthz', method: RequestMethod.GET },
  { path: 'readyz', method: RequestMethod.GET },
  { path: 'docs', method: RequestMethod.GET },
  { path: 'docs/assets/:file', method: RequestMethod.GET },
];

/**
 * JSON is assumed whatever the Content-Type says (Qoder makes the header optional), an empty
 * body is no body (SDKs send `content-type: application/json` on body-less POSTs), and bad JSON
 * is a 400 in the public envelope.
 */
function registerJsonParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(invalidRequest('Request body must be valid JSON.'), undefined);
    }
  });
}

export interface HttpAppOptions {
  bodyLimit: number;
  logger: Logger;
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
  registerJsonParser(fastify);
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('request-id', request.id);
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule as never, adapter, {
    logger: new PinoNestLogger(options.logger),
    // Nest would register Fastify's strict JSON parser over ours.
    bodyParser: false,
  });
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
  app.enableShutdownHooks();
  return app;
}
