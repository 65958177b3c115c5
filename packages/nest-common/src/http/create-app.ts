import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { newId } from '@stratus/db';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { invalidRequest } from '../errors/api-error';
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

/** PostgreSQL cannot store U+0000 in text, so such strings are refused up front as bad input. */
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v));
  return false;
}

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
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(invalidRequest('Request body must be valid JSON.'), undefined);
    }
    if (containsNul(parsed)) return done(invalidRequest('Strings may not contain NUL characters.'), undefined);
    done(null, parsed);
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
  trackRouteMethods(fastify);
  logRequests(fastify, options.logger);
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('request-id', request.id);
    // A NUL in a path segment or query value could never match a stored id or value.
    if (request.url.includes('%00')) throw invalidRequest('The URL may not contain NUL characters.');
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule as never, adapter, {
    logger: new PinoNestLogger(options.logger),
    // Nest would register Fastify's strict JSON parser over ours.
    bodyParser: false,
  });
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
  return app;
}
