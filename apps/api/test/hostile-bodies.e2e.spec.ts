import http from 'node:http';
import { ERROR_TYPES } from '@stratus/contracts';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { spawnApi, stopApi, type ApiProcess } from './api-process';
import { startTestApi, type TestApi } from './harness';
import { createRouteObjects, ROUTES, type RouteIds } from './routes';

// No request, authenticated or not, may reach an uncaught exception: every hostile body below
// is answered in the documented envelope, and the server is still alive afterwards.

interface HostileBody {
  name: string;
  body: Buffer;
  contentType?: string;
  /** Refused by the body parser itself, so a 400 on every route that reads a body. */
  refusedByParser: boolean;
}

const nested = (depth: number, open: string, close: string, inner = '') => `{"name":${open.repeat(depth)}${inner}${close.repeat(depth)}}`;
const json = (text: string) => Buffer.from(text, 'utf8');

const HOSTILE: HostileBody[] = [
  { name: '100,000 nested arrays', body: json(nested(100_000, '[', ']')), refusedByParser: true },
  { name: '100,000 nested objects', body: json(nested(100_000, '{"a":', '}', '1')), refusedByParser: true },
  { name: 'one level past the depth limit', body: json(nested(64, '[', ']')), refusedByParser: true },
  { name: 'a number beyond a double (1e400)', body: json('{"name":"x","model":"stratus-demo","metadata":{"n":1e400}}'), refusedByParser: true },
  { name: 'integers beyond 64 bits', body: json('{"name":"x","model":"stratus-demo","version":123456789012345678901234567890,"max_tokens":123456789012345678901234567890}'), refusedByParser: false },
  { name: 'very long strings', body: json(JSON.stringify({ name: 'n'.repeat(1 << 20), model: 'stratus-demo', system: 's'.repeat(1 << 20), title: 't'.repeat(1 << 20) })), refusedByParser: false },
  { name: '__proto__ keys', body: json('{"__proto__":{"polluted":true},"name":"x","model":"stratus-demo","metadata":{"__proto__":{"polluted":true}}}'), refusedByParser: false },
  { name: 'constructor keys', body: json('{"constructor":{"prototype":{"polluted":true}},"name":"x","model":"stratus-demo"}'), refusedByParser: false },
  { name: 'invalid UTF-8', body: Buffer.concat([json('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), json('","model":"stratus-demo"}')]), refusedByParser: true },
  { name: 'an escaped NUL', body: json('{"name":"a\\u0000b","model":"stratus-demo"}'), refusedByParser: true },
  { name: 'a raw NUL byte', body: Buffer.concat([json('{"name":"a'), Buffer.from([0]), json('b"}')]), refusedByParser: true },
  { name: 'a NUL in a key', body: json('{"na\\u0000me":"x"}'), refusedByParser: true },
  { name: 'truncated JSON', body: json('{"name":"x","model":"stratus-'), refusedByParser: true },
  { name: 'plain text', body: json('hello'), contentType: 'text/plain', refusedByParser: true },
  { name: 'a form', body: json('name=x&model=stratus-demo'), contentType: 'application/x-www-form-urlencoded', refusedByParser: true },
  { name: 'multipart', body: json('--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n'), contentType: 'multipart/form-data; boundary=b', refusedByParser: true },
  { name: 'XML', body: json('<agent><name>x</name></agent>'), contentType: 'application/xml', refusedByParser: true },
];

/** Routes that read their body; the others (archive, cancel, delete) ignore a body the parser accepts. */
const READS_BODY = new Set(['POST /agents', 'POST /agents/:id', 'POST /environments', 'POST /environments/:id', 'POST /sessions', 'POST /sessions/:id', 'POST /sessions/:id/events']);

interface RawReply {
  status: number;
  body: string;
}

/** Sends a body with any method (fetch refuses a body on GET). */
function send(baseUrl: string, method: string, path: string, body: Buffer, headers: Record<string, string>): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}/api/v1/cloud${path}`, { method, headers: { 'content-length': String(body.length), ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

function expectEnvelope(reply: RawReply, label: string): void {
  const parsed = JSON.parse(reply.body) as { type: string; error: { type: string; message: string } };
  expect({ label, type: parsed.type, errorType: parsed.error.type, message: typeof parsed.error.message }).toEqual({
    label,
    type: 'error',
    errorType: ERROR_TYPES[reply.status as keyof typeof ERROR_TYPES],
    message: 'string',
  });
}

describe('hostile bodies on every route', () => {
  let api: TestApi;
  let ids: RouteIds;
  beforeAll(async () => {
    api = await startTestApi({ RATE_LIMIT_REQUESTS: '0', AUTH_FAILURE_LIMIT: '0' });
    ids = await createRouteObjects(api);
  });
  afterAll(() => api.close());

  it.each([
    ['without a token', false],
    ['with a token', true],
  ])('answers each %s in the documented envelope, never a 5xx, and keeps serving', async (_label, withToken) => {
    for (const hostile of HOSTILE) {
      for (const [method, build] of ROUTES) {
        const path = build(ids, '');
        const route = `${method} ${build({ agentId: ':id', environmentId: ':id', sessionId: ':id', webhookId: ':id', vaultId: ':id', credentialId: ':id' }, '').replace(/(env|sess|whk|vlt|vcrd)_[0-9a-f]{32}/, ':id')}`;
        const headers: Record<string, string> = { 'content-type': hostile.contentType ?? 'application/json' };
        if (withToken) headers.authorization = `Bearer ${api.token}`;
        const reply = await send(api.url, method, path, hostile.body, headers);
        const label = `${hostile.name} → ${route}`;
        // A GET never reads a body; with a token it answers as if there were none.
        const mustRefuse = !withToken || (method !== 'GET' && (hostile.refusedByParser || READS_BODY.has(route)));
        if (mustRefuse) {
          expect({ label, clientError: reply.status >= 400 && reply.status < 500 }).toEqual({ label, clientError: true });
        } else {
          expect({ label, serverError: reply.status >= 500 }).toEqual({ label, serverError: false });
        }
        if (reply.status >= 400) expectEnvelope(reply, label);
        if (withToken && method !== 'GET' && hostile.refusedByParser) expect({ label, status: reply.status }).toEqual({ label, status: 400 });
      }
      expect((await api.request('GET', '/healthz')).status).toBe(200);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 300_000);

  it('names the depth limit, and lets a body at the limit through to validation', async () => {
    const auth = { authorization: `Bearer ${api.token}` };
    const tooDeep = await send(api.url, 'POST', '/agents', json(`{"x":${'['.repeat(64)}${']'.repeat(64)}}`), auth);
    expect(tooDeep.status).toBe(400);
    expect(JSON.parse(tooDeep.body).error.message).toMatch(/nested more than 64 levels/);
    const atLimit = await send(api.url, 'POST', '/agents', json(`{"x":${'['.repeat(63)}${']'.repeat(63)}}`), auth);
    expect(atLimit.status).toBe(400);
    expect(JSON.parse(atLimit.body).error.message).not.toMatch(/nested/);
  });
});

describe('a real API process', () => {
  let db: TestDatabase;
  let child: ApiProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase('stratus_api_hostile');
  });
  afterAll(async () => {
    await stopApi(child);
    await db.drop();
  });

  it('survives 100,000 nested arrays sent without a token, and so does its next request', async () => {
    child = await spawnApi({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: testRedisPrefix() });
    let exit: { code: number | null } | undefined;
    void child.exited.then((e) => (exit = e));
    for (const hostile of HOSTILE.filter((h) => h.refusedByParser)) {
      const reply = await send(child.url, 'POST', '/agents', hostile.body, { 'content-type': hostile.contentType ?? 'application/json' });
      expect({ name: hostile.name, status: reply.status }).toEqual({ name: hostile.name, status: 400 });
    }
    const health = await fetch(`${child.url}/healthz`);
    expect(health.status).toBe(200);
    expect(exit).toBeUndefined();
    expect(child.stderr()).not.toMatch(/Maximum call stack|uncaught/i);
  }, 120_000);
});
