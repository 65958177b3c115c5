import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { parseDockerfile } from './dockerfile';

/**
 * The images start node directly as PID 1 (exec-form ENTRYPOINT, no init). The kernel gives PID 1 no
 * default signal actions, so this only stops on SIGTERM because the apps handle it themselves. Each
 * image's entry runs here as PID 1 of a new PID namespace (bubblewrap --as-pid-1), with the
 * image's WORKDIR layout (the repository root), against the real PostgreSQL and Redis; it must
 * become ready, then exit 0 on SIGTERM. The entrypoint files come from `pnpm build` (the
 * Dockerfile test builds them first in this package's suite).
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const SERVERS = ['api', 'gateway', 'worker', 'egress-proxy', 'all-in-one'];

function entrypointOf(app: string): string[] {
  const final = parseDockerfile(path.join(ROOT, 'apps', app, 'Dockerfile')).stages.at(-1)!;
  expect(final.workdir).toBe('/app');
  return final.entrypoint!;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Polls until the URL answers 200; the process exiting first fails the wait with its output. */
async function waitUntilOk(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before ${url} answered:\n${output()}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The host pid of the process that is PID 1 in the namespace bubblewrap made (a descendant of `pid`). */
function pidOneUnder(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  for (const child of children) {
    const nsPids = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${child}/status`, 'utf8'))![1]!.split(/\s+/);
    if (nsPids.at(-1) === '1') return child;
    const deeper = pidOneUnder(child);
    if (deeper > 0) return deeper;
  }
  return -1;
}

describe('PID 1 in a new PID namespace (the control)', () => {
  it('drops a SIGTERM it has no handler for, so only the apps’ own handling can stop them', async () => {
    const child = spawn('bwrap', ['--dev-bind', '/', '/', '--proc', '/proc', '--unshare-pid', '--as-pid-1', '--die-with-parent', process.execPath, '-e', 'setInterval(() => {}, 1e9); console.log("up")'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    await once(child.stdout, 'data');
    const pidOne = pidOneUnder(child.pid!);
    // The kernel discards the SIGTERM when kill() is called; the SIGKILL after it is what ends it.
    process.kill(pidOne, 'SIGTERM');
    process.kill(pidOne, 'SIGKILL');
    const [code] = (await exited) as [number | null];
    // bubblewrap reports a child killed by a signal as 128 + its number.
    expect(code).toBe(128 + 9);
  });
});

describe('each image entry as PID 1', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('stratus_images');
  });

  afterAll(async () => {
    await database.drop();
  });

  it.each(SERVERS)('%s: becomes ready, then exits 0 on SIGTERM', async (app) => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: testRedisPrefix(),
      MIGRATE_ON_START: 'false',
      STRATUS_ENCRYPTION_KEY: 'images-test-encryption-key-0123456789abcdef',
      STRATUS_EGRESS_PROXY_HOST: '127.0.0.1',
      STRATUS_EGRESS_PROXY_PORT: String(port),
      STRATUS_EGRESS_PROXY_SIGNING_KEYS: 'images-test-signing-key-0123456789abcdef0123456789',
    };
    const [node, script] = entrypointOf(app);
    expect(node).toBe('node');
    const child = spawn('bwrap', ['--dev-bind', '/', '/', '--proc', '/proc', '--unshare-pid', '--as-pid-1', '--die-with-parent', '--chdir', ROOT, process.execPath, script!], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(child, 'exit');
    try {
      await waitUntilOk(`http://127.0.0.1:${port}/${app === 'egress-proxy' ? 'healthz' : 'readyz'}`, child, () => output);
      const pidOne = pidOneUnder(child.pid!);
      expect(readFileSync(`/proc/${pidOne}/cmdline`, 'utf8').split('\0')).toContain(script);
      process.kill(pidOne, 'SIGTERM');
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      expect({ code, signal, output: code === 0 ? '' : output }).toEqual({ code: 0, signal: null, output: '' });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
