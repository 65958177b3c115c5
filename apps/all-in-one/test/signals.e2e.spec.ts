import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from '@stratus/testing';

// How every Stratus process stops (stopOnSignals, built): the first SIGINT/SIGTERM drains and
// exits 0; a second one exits at once with 130 instead of waiting for a drain that hangs.

function start(closeNeverEnds: boolean): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const script = `
    const { createLogger, stopOnSignals } = require('@stratus/nest-common');
    const app = { close: () => ${closeNeverEnds ? 'new Promise(() => {})' : 'new Promise((r) => setTimeout(r, 50))'} };
    stopOnSignals(app, createLogger('info', 'json'), 60000);
    setInterval(() => {}, 1000);
    console.log('ready');`;
  const child = spawn(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}

describe('stopping on signals', () => {
  it('drains on SIGTERM and exits 0', async () => {
    const process = start(false);
    await until(() => process.output().includes('ready'));
    process.child.kill('SIGTERM');
    expect(await process.exited).toBe(0);
    expect(process.output()).toContain('SIGTERM: draining');
    expect(process.output()).toContain('"msg":"stopped"');
  });

  it('exits at once on a second SIGINT while the drain hangs', async () => {
    const process = start(true);
    await until(() => process.output().includes('ready'));
    process.child.kill('SIGINT');
    await until(() => process.output().includes('SIGINT: draining'));
    expect(process.child.exitCode).toBeNull();
    process.child.kill('SIGINT');
    expect(await process.exited).toBe(130);
    expect(process.output()).toContain('SIGINT again: exiting without waiting for the drain');
  });
});

describe('starting on a busy port', () => {
  it('says in one line which port is taken and how to choose another', async () => {
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    const db = await createTestDatabase('stratus_busy_port');
    try {
      const child = spawn(process.execPath, [path.join(__dirname, '..', 'dist', 'main.js')], {
        env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: testRedisPrefix(), STRATUS_WORKER_QUEUES: 'session-turns' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toBe(`stratus: cannot start: port ${port} on 127.0.0.1 is already in use: stop what holds it, or set PORT to a free port.\n`);
    } finally {
      holder.close();
      await db.drop();
    }
  });
});
