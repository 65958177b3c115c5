import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, QUICKSTART_TOKEN, TEST_REDIS_URL, testRedisPrefix, waitForReady, type TestDatabase } from '@stratus/testing';
import { expectWalkthroughToPass, quickstartCommands, ROOT } from './support/readme';

// The README's first command on a fresh clone, with the PATH of a machine that has only its own
// Node.js and npm (Node 20 on these machines): it must bring Node >= 22 and the pinned pnpm into
// .tools/, install, create .env, build and serve; the walk-through must pass against it; and it
// must stop like a service. (The second command, `./stratus test`, is what CI itself runs.)

const MACHINE_PATH = '/usr/local/bin:/usr/bin:/bin';

let workdir: string;
let clone: string;
let db: TestDatabase;
let server: ChildProcess | undefined;
let output = '';

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

beforeAll(async () => {
  workdir = mkdtempSync(path.join(tmpdir(), 'stratus-fresh-'));
  clone = path.join(workdir, 'stratus');
  const cloned = spawnSync('git', ['clone', '--quiet', ROOT, clone], { encoding: 'utf8' });
  if (cloned.status !== 0) throw new Error(`git clone failed: ${cloned.stderr}`);
  db = await createTestDatabase('stratus_fresh');
});

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGKILL');
    await exited(server);
  }
  await db?.drop();
  rmSync(workdir, { recursive: true, force: true });
});

describe('the Quickstart on a fresh machine', () => {
  it('starts the stack with the first README command, passes the walk-through and stops cleanly on SIGTERM', async () => {
    const [start] = quickstartCommands();
    expect(start).toBe('./stratus start');
    const port = 21000 + Math.floor(Math.random() * 20000);
    const baseUrl = `http://127.0.0.1:${port}`;
    server = spawn('bash', ['-c', `exec ${start}`], {
      cwd: clone,
      // Only what a fresh machine has: its PATH, a home (npm's and pnpm's caches) and the services.
      env: {
        HOME: process.env.HOME ?? workdir,
        TMPDIR: process.env.TMPDIR ?? tmpdir(),
        PATH: MACHINE_PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: testRedisPrefix(),
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      // A bound, not a budget: a full install and build takes ~5 min alone and over 10 min on a
      // machine busy with other builds.
      await waitForReady(baseUrl, () => server!.exitCode !== null, 1_500_000);
    } catch (error) {
      // Left running, the half-started stack would starve the next test of the same machine.
      server.kill('SIGKILL');
      await exited(server);
      throw new Error(`${(error as Error).message}\n${output.slice(-4000)}`);
    }

    const nodeVersion = spawnSync(path.join(clone, '.tools/node/bin/node'), ['--version'], { encoding: 'utf8' }).stdout;
    const machineNode = spawnSync('node', ['--version'], { encoding: 'utf8', env: { PATH: MACHINE_PATH } }).stdout;
    if (Number(/^v(\d+)/.exec(machineNode)?.[1] ?? 0) < 22) expect(nodeVersion).toMatch(/^v2[2-9]\.|^v[3-9]\d\./);
    // The .env the README promises, made from .env.example, with the quickstart token in it.
    expect(readFileSync(path.join(clone, '.env'), 'utf8')).toBe(readFileSync(path.join(clone, '.env.example'), 'utf8'));
    expect(readFileSync(path.join(clone, '.env'), 'utf8')).toContain(QUICKSTART_TOKEN);

    expectWalkthroughToPass(baseUrl);

    server.kill('SIGTERM');
    expect(await exited(server)).toEqual({ code: 0, signal: null });
    expect(output).not.toMatch(/ELIFECYCLE|Command failed/);
  }, 1_560_000);

  it('stops cleanly when `pnpm start` gets SIGTERM, without a failure message', async () => {
    const port = 21000 + Math.floor(Math.random() * 20000);
    const tools = `${path.join(clone, '.tools/node/bin')}:${path.join(clone, '.tools/pnpm/node_modules/.bin')}`;
    server = spawn('pnpm', ['start'], {
      cwd: clone,
      env: { HOME: process.env.HOME ?? workdir, PATH: `${tools}:${MACHINE_PATH}`, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: testRedisPrefix() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pnpmOutput = '';
    server.stdout!.on('data', (chunk: Buffer) => (pnpmOutput += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (pnpmOutput += chunk.toString()));
    await waitForReady(`http://127.0.0.1:${port}`, () => server!.exitCode !== null, 600_000);
    server.kill('SIGTERM');
    expect(await exited(server)).toEqual({ code: 0, signal: null });
    expect(pnpmOutput).not.toMatch(/ELIFECYCLE|Command failed/);
  }, 660_000);

  it('never overwrites an edited .env', () => {
    const envFile = path.join(clone, '.env');
    writeFileSync(envFile, 'LOG_LEVEL=debug\n');
    const result = spawnSync('bash', ['-c', '. scripts/bootstrap.sh && ensure_env_file'], { cwd: clone, encoding: 'utf8', env: { PATH: MACHINE_PATH } });
    expect(result.status).toBe(0);
    expect(existsSync(envFile) && readFileSync(envFile, 'utf8')).toBe('LOG_LEVEL=debug\n');
  });
});
