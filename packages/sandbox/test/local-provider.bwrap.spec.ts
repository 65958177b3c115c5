import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalSandboxProvider, RunnerClient, RunnerUnavailableError, type SandboxHandle } from '../src';
import { eventually, makeBaseDir, OWNER, pidsWithArgument, recordingLogger, sandboxSpec, startLoopbackServer } from './sandbox-harness';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';

/**
 * The local provider with bubblewrap, as in all-in-one mode on Linux. CI installs bubblewrap; these
 * tests fail rather than skip without it, so a missing install cannot pass unnoticed.
 */
describe('LocalSandboxProvider under bubblewrap', () => {
  let base: Awaited<ReturnType<typeof makeBaseDir>>;
  let provider: LocalSandboxProvider;
  const clients: RunnerClient[] = [];

  const connect = (handle: SandboxHandle) => {
    const client = RunnerClient.forHandle(handle);
    clients.push(client);
    return client;
  };
  const sh = async (client: RunnerClient, command: string) => client.exec({ command, timeout_ms: 10_000 });

  beforeAll(async () => {
    base = await makeBaseDir();
    provider = new LocalSandboxProvider({ logger: recordingLogger(), baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'bwrap' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await provider.shutdown();
    await base.remove();
  });

  it('starts a runner reachable over its Unix socket with the session token', async () => {
    const spec = sandboxSpec();
    const handle = await provider.provision(spec);
    expect(provider.isolation).toBe('bwrap');
    expect(handle).toMatchObject({ sessionId: spec.sessionId, endpoint: { socketPath: expect.stringContaining(spec.sessionId) } });
    expect(handle.startupMs).toBeGreaterThan(0);
    expect(await connect(handle).health()).toEqual({ ok: true });
    expect(await provider.get(spec.sessionId)).toBe(handle);
    expect(await provider.provision(spec)).toBe(handle);
    // The file tools' runner (started on demand by this call) answers its own client, and nobody without the token.
    expect(await connect(handle).glob({ pattern: '*' })).toEqual({ paths: [], truncated: false });
    const stranger = new RunnerClient(handle.endpoint, 'not-the-token');
    await expect(stranger.health()).rejects.toMatchObject({ name: 'RunnerError', status: 401 });
    await stranger.close();
  });

  it('lets commands write the workspace and nothing else on the host', async () => {
    const other = await provider.provision(sandboxSpec());
    const spec = sandboxSpec();
    const client = connect(await provider.provision(spec));
    const otherWorkspace = path.join(base.baseDir, other.sessionId, 'workspace');

    expect(await sh(client, 'pwd && echo kept > in-workspace.txt && cat in-workspace.txt')).toMatchObject({ exit_code: 0, stdout: '/workspace\nkept\n' });
    expect(existsSync(path.join(base.baseDir, spec.sessionId, 'workspace', 'in-workspace.txt'))).toBe(true);

    const etc = await sh(client, 'touch /etc/stratus-sandbox-test');
    expect(etc.exit_code).not.toBe(0);
    expect(existsSync('/etc/stratus-sandbox-test')).toBe(false);

    // Other sessions' directories are not there at all.
    expect((await sh(client, `ls ${base.baseDir}`)).exit_code).not.toBe(0);
    expect((await sh(client, `echo pwned > ${otherWorkspace}/x.txt`)).exit_code).not.toBe(0);
    expect(existsSync(path.join(otherWorkspace, 'x.txt'))).toBe(false);
    expect((await sh(client, `echo private > /tmp/${spec.sessionId}`)).exit_code).toBe(0);
    expect(existsSync(`/tmp/${spec.sessionId}`)).toBe(false);
  });

  it('gives a sandbox with networking "none" no route to a server on the host loopback', async () => {
    const server = await startLoopbackServer();
    try {
      const none = connect(await provider.provision(sandboxSpec({ networking: { type: 'none' } })));
      const curl = await sh(none, `curl -sS --max-time 3 ${server.url}`);
      expect(curl.exit_code).not.toBe(0);
      const node = await sh(none, `node -e "fetch('${server.url}').then(() => console.log('reached'), (e) => { console.log('failed', e.cause?.code); process.exit(1) })"`);
      expect(node).toMatchObject({ exit_code: 1, stdout: 'failed ECONNREFUSED\n' });
      expect(server.hits()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("passes the environment's variables to commands but none of the worker's", async () => {
    process.env.DATABASE_URL = 'postgresql://secret@db/stratus';
    process.env.OPENAI_API_KEY = 'sk-secret';
    process.env.REDIS_URL = 'redis://secret@redis';
    try {
      const client = connect(await provider.provision(sandboxSpec({ environmentVariables: { GREETING: 'hello', DEBUG: '1' } })));
      const { stdout } = await sh(client, 'env; cat /proc/1/environ /proc/self/environ | tr "\\0" "\\n"');
      expect(stdout).toContain('GREETING=hello');
      expect(stdout).toContain('DEBUG=1');
      for (const leaked of ['DATABASE_URL', 'OPENAI_API_KEY', 'REDIS_URL', 'secret']) expect(stdout).not.toContain(leaked);
    } finally {
      delete process.env.DATABASE_URL;
      delete process.env.OPENAI_API_KEY;
      delete process.env.REDIS_URL;
    }
  });

  it('kills a running command when the client aborts the call', async () => {
    const client = connect(await provider.provision(sandboxSpec()));
    const abort = new AbortController();
    const call = client.exec({ command: 'sleep 30.71; echo never' }, { signal: abort.signal });
    expect(await eventually(async () => (await pidsWithArgument('30.71')).length === 1, 20_000)).toBe(true);
    abort.abort();
    await expect(call).rejects.toThrow();
    expect(await eventually(async () => (await pidsWithArgument('30.71')).length === 0, 20_000)).toBe(true);
  });

  it('destroy stops every process of the sandbox and removes its directory', async () => {
    const spec = sandboxSpec();
    const client = connect(await provider.provision(spec));
    await sh(client, 'sleep 30.72 > /dev/null 2>&1 &');
    expect(await pidsWithArgument('30.72')).toHaveLength(1);

    await provider.destroy(spec.sessionId);
    expect(await eventually(async () => (await pidsWithArgument('30.72')).length === 0, 20_000)).toBe(true);
    expect(existsSync(path.join(base.baseDir, spec.sessionId))).toBe(false);
    expect(await provider.get(spec.sessionId)).toBeUndefined();
    await expect(client.health()).rejects.toBeInstanceOf(RunnerUnavailableError);
    await provider.destroy(spec.sessionId); // idempotent
  });

  it('keeps grep responsive on a catastrophically backtracking pattern', async () => {
    const spec = sandboxSpec();
    const client = connect(await provider.provision(spec));
    await writeFile(path.join(base.baseDir, spec.sessionId, 'workspace', 'a.txt'), `${'a'.repeat(5000)}b\n`);
    const started = Date.now();
    expect(await client.grep({ pattern: '(a+)+$' })).toEqual({ matches: [], truncated: false });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
