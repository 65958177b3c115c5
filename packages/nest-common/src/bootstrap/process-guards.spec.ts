import { spawn } from 'node:child_process';
import path from 'node:path';

const PACKAGE_DIR = path.resolve(__dirname, '..', '..');

/**
 * A real Node process with the guards installed: a promise rejected with nobody listening, then (once
 * the process has shown it goes on) an exception thrown from a callback. Node strips the module's types.
 */
const SCRIPT = `
import pino from 'pino';
import { installProcessGuards } from './src/bootstrap/process-guards.ts';
installProcessGuards(pino());
Promise.reject(new Error('query failed: PostgreSQL is unreachable'));
setImmediate(() => {
  console.log(JSON.stringify({ msg: 'still alive' }));
  setImmediate(() => {
    throw new Error('state half-changed');
  });
});
`;

async function run(): Promise<{ code: number | null; lines: { msg?: string; err?: string; level?: number }[] }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; err?: string; level?: number });
  if (lines.length === 0) throw new Error(`no output (exit ${code}): ${stderr}`);
  return { code, lines };
}

describe('installProcessGuards', () => {
  it('logs an unhandled rejection and goes on; logs an uncaught exception and exits with 1', async () => {
    const { code, lines } = await run();
    // The lines may reach stdout in any order on a loaded machine; what matters is each one and the exit code.
    expect(lines.map((line) => line.msg).sort()).toEqual(['still alive', 'uncaught exception: exiting', 'unhandled promise rejection (the process goes on)']);
    expect(lines.find((line) => line.msg?.startsWith('unhandled'))).toMatchObject({ level: 50, err: expect.stringContaining('PostgreSQL is unreachable') });
    expect(lines.find((line) => line.msg?.startsWith('uncaught'))).toMatchObject({ msg: 'uncaught exception: exiting', level: 60, err: expect.stringContaining('state half-changed') });
    expect(code).toBe(1);
  });
});
