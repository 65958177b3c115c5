import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { createLogger } from '../logger';
import { logRequests } from './request-log';

function memoryLog(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('logRequests', () => {
  it('writes one line per request with method, route, status, duration and request id', async () => {
    const { stream, lines } = memoryLog();
    const fastify = Fastify({ genReqId: () => 'req_1' });
    logRequests(fastify, createLogger('info', 'json', stream));
    fastify.get('/sessions/:id', async () => ({ ok: true }));
    fastify.get('/boom', async () => {
      throw new Error('boom');
    });
    fastify.get('/healthz', async () => 'ok');
    const base = await fastify.listen({ port: 0, host: '127.0.0.1' });
    for (const path of ['/sessions/sesn_123?x=1', '/boom', '/healthz', '/missing']) await (await fetch(`${base}${path}`)).text();
    const logged = lines();
    expect(logged.map((l) => [l.level, l.msg])).toEqual([
      [30, expect.stringMatching(/^GET \/sessions\/:id 200 [\d.]+ ms$/)],
      [50, expect.stringMatching(/^GET \/boom 500 /)],
      [30, expect.stringMatching(/^GET \(no route\) 404 /)],
    ]);
    expect(logged[0]).toMatchObject({ method: 'GET', route: '/sessions/:id', status: 200, request_id: 'req_1', duration_ms: expect.any(Number) });
    await fastify.close();
  });
});

describe('createLogger', () => {
  it('writes JSON lines, or one readable line per entry when pretty', () => {
    const json = memoryLog();
    createLogger('info', 'json', json.stream).info({ session_id: 'sesn_1' }, 'turn finished');
    expect(json.lines()[0]).toMatchObject({ msg: 'turn finished', session_id: 'sesn_1' });

    let text = '';
    const pretty = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    createLogger('info', 'pretty', pretty).info({ session_id: 'sesn_1' }, 'turn finished');
    expect(text).toMatch(/INFO.*turn finished/);
    expect(text).toContain('session_id: "sesn_1"');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('picks JSON for auto when the destination is not a terminal', () => {
    const { stream, lines } = memoryLog();
    createLogger('info', 'auto', stream).info('hello');
    expect(lines()[0]).toMatchObject({ msg: 'hello' });
  });
});
