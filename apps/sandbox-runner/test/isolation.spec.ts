import { createServer, type Server } from 'node:net';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, pidsWithArgument, startTestRunner, type TestRunner } from './runner-harness';

/** A stand-in for the egress proxy on a Unix socket: records what arrives and answers like a proxy. */
async function startFakeProxy(): Promise<{ socketPath: string; requests: string[]; close(): Promise<void> }> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'fake-proxy-')));
  const socketPath = path.join(dir, 'egress.sock');
  const requests: string[] = [];
  const server: Server = createServer((socket) => {
    socket.once('data', (chunk) => {
      requests.push(chunk.toString('latin1'));
      const body = 'via proxy';
      socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    requests,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('runner isolation settings', () => {
  let runner: TestRunner | undefined;
  afterEach(async () => {
    await runner?.close();
    runner = undefined;
  });

  it("applies the session's variables to commands, never to the runner's own environment", async () => {
    runner = await startTestRunner({ type: 'none' }, {}, { commandEnv: { GREETING: 'hello', HTTP_PROXY: 'http://attacker.test' } });
    const { body } = await runner.call('/v1/exec', { command: 'echo "$GREETING"; echo "${HTTP_PROXY:-unset}"' });
    expect(body.stdout).toBe('hello\nhttp://attacker.test\n');
    expect(process.env.GREETING).toBeUndefined();
  });

  it('caps every command at the configured time limit, whatever the call asks for, and kills its process group', async () => {
    runner = await startTestRunner({ type: 'none' }, {}, { maxCommandMs: 1000 });
    const { body } = await runner.call('/v1/exec', { command: '(sleep 31.11 &); sleep 31.12', timeout_ms: 600_000 });
    expect(body).toMatchObject({ timed_out: true, exit_code: 137 });
    expect(await eventually(async () => (await pidsWithArgument('31.11')).length + (await pidsWithArgument('31.12')).length === 0, 20_000)).toBe(true);
  });

  it('names the memory limit when a command is killed by a SIGKILL it did not ask for', async () => {
    runner = await startTestRunner({ type: 'none' }, {}, { memoryLimit: '256Mi' });
    const { body } = await runner.call('/v1/exec', { command: 'sh -c \'kill -KILL $$\'' });
    expect(body.exit_code).toBe(137);
    expect(body.stderr).toContain("exceeded the sandbox's memory limit (256Mi)");
  });

  describe('egress bridge', () => {
    let proxy: Awaited<ReturnType<typeof startFakeProxy>>;
    beforeEach(async () => {
      proxy = await startFakeProxy();
    });
    afterEach(() => proxy.close());

    it("sends commands' and fetch's HTTP through a loopback port bridged to the proxy socket, with the sandbox's credential", async () => {
      runner = await startTestRunner({ type: 'unrestricted' }, {}, { egress: { socketPath: proxy.socketPath, credential: 'sess_1:v1.payload.signature' } });
      const env = await runner.call('/v1/exec', { command: 'env | grep -i _proxy= | sort' });
      const port = /HTTP_PROXY=http:\/\/sess_1:v1\.payload\.signature@127\.0\.0\.1:(\d+)/.exec(env.body.stdout)?.[1];
      expect(port).toBeDefined();
      for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']) {
        expect(env.body.stdout).toContain(`${name}=http://sess_1:v1.payload.signature@127.0.0.1:${port}\n`);
      }
      expect(env.body.stdout).toContain('NO_PROXY=localhost,127.0.0.1,::1');

      const curl = await runner.call('/v1/exec', { command: 'curl -sS http://example.test/path' });
      expect(curl.body.stdout).toBe('via proxy');
      expect(proxy.requests[0]).toMatch(/^GET http:\/\/example\.test\/path HTTP\/1\.1\r\n/);
      expect(proxy.requests[0]).toContain(`Proxy-Authorization: Basic ${Buffer.from('sess_1:v1.payload.signature').toString('base64')}`);

      const fetched = await runner.call('/v1/fetch', { url: 'http://fetched.test/x' });
      expect(fetched.body).toMatchObject({ status: 200, body: 'via proxy' });
      expect(proxy.requests[1]).toMatch(/^GET http:\/\/fetched\.test\/x HTTP\/1\.1\r\n/i);
    });
  });
});
