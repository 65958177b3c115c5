import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Networking } from '@stratus/sandbox-protocol';
import { startTestRunner, type TestRunner } from './runner-harness';

/** A loopback HTTP server: /hello answers text, /big a long body, /redirect?to=URL redirects. */
async function startTarget(): Promise<{ server: Server; origin: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.headers.host ?? ''} ${req.url ?? ''}`);
    const url = new URL(req.url ?? '/', 'http://target');
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
    } else if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(50_000));
    } else {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`hello from ${req.headers.host ?? ''}${url.pathname}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('POST /v1/fetch', () => {
  let target: Awaited<ReturnType<typeof startTarget>>;
  let runner: TestRunner | undefined;

  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    target.server.closeAllConnections();
    await new Promise((resolve) => target.server.close(resolve));
  });
  afterEach(async () => {
    await runner?.close();
    runner = undefined;
  });

  const fetchWith = async (networking: Networking, body: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    runner = await startTestRunner(networking, env);
    return runner.call('/v1/fetch', body);
  };

  it('fetches any host when networking is unrestricted', async () => {
    const { status, body } = await fetchWith({ type: 'unrestricted' }, { url: `${target.origin}/hello` });
    expect(status).toBe(200);
    expect(body).toEqual({
      url: `${target.origin}/hello`,
      status: 200,
      content_type: 'text/plain; charset=utf-8',
      body: `hello from ${new URL(target.origin).host}/hello`,
      truncated: false,
    });
  });

  it('refuses everything with a 403 when networking is none', async () => {
    const before = target.seen.length;
    const { status, body } = await fetchWith({ type: 'none' }, { url: `${target.origin}/hello` });
    expect(status).toBe(403);
    expect(body.error).toEqual({ type: 'permission_error', message: expect.stringContaining('network access is disabled') });
    expect(target.seen.length).toBe(before);
  });

  it('lets only the allowed hosts through', async () => {
    const allowed = await fetchWith({ type: 'allowed_hosts', allowed_hosts: ['127.0.0.1'] }, { url: `${target.origin}/hello` });
    expect(allowed.status).toBe(200);
    await runner?.close();
    const refused = await fetchWith({ type: 'allowed_hosts', allowed_hosts: ['api.github.com', '*.example.com'] }, { url: `${target.origin}/hello` });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("not in this environment's allowed hosts");
  });

  it('checks every redirect hop against the policy', async () => {
    const elsewhere = `http://localhost:${new URL(target.origin).port}/hello`;
    const { status, body } = await fetchWith(
      { type: 'allowed_hosts', allowed_hosts: ['127.0.0.1'] },
      { url: `${target.origin}/redirect?to=${encodeURIComponent(elsewhere)}` },
    );
    expect(status).toBe(403);
    expect(body.error.message).toContain('localhost');
    const followed = await runner!.call('/v1/fetch', { url: `${target.origin}/redirect?to=/hello` });
    expect(followed.body).toMatchObject({ url: `${target.origin}/hello`, status: 200 });
  });

  it('refuses hosts other than package registries when networking is limited', async () => {
    const { status, body } = await fetchWith({ type: 'limited', allow_package_managers: true }, { url: `${target.origin}/hello` });
    expect(status).toBe(403);
    expect(body.error.message).toContain('package registries');
  });

  it('truncates the body at max_bytes and refuses non-HTTP URLs', async () => {
    const { body } = await fetchWith({ type: 'unrestricted' }, { url: `${target.origin}/big`, max_bytes: 1000 });
    expect(body).toMatchObject({ body: 'x'.repeat(1000), truncated: true });
    const file = await runner!.call('/v1/fetch', { url: 'file:///etc/passwd' });
    expect(file.status).toBe(400);
    expect(file.body.error.message).toContain('only http and https');
  });

  it('goes through HTTP_PROXY when it is set', async () => {
    const { body } = await fetchWith({ type: 'unrestricted' }, { url: 'http://upstream.invalid/via-proxy' }, { HTTP_PROXY: target.origin });
    // The "proxy" received the absolute-form request for the upstream host and answered it.
    expect(body).toMatchObject({ status: 200, body: 'hello from upstream.invalid/via-proxy' });
  });

  it('answers a connection failure as a 400 tool error', async () => {
    const { status, body } = await fetchWith({ type: 'unrestricted' }, { url: 'http://127.0.0.1:1/' });
    expect(status).toBe(400);
    expect(body.error.message).toContain('fetching http://127.0.0.1:1/ failed');
  });
});
