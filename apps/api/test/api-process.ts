import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

/** An API running as a real process (src/main.ts, compiled as it loads), which only an uncaught exception or the test ends. */
export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const APP_DIR = path.resolve(__dirname, '..');
// The gateway's tests keep the loader that runs a TypeScript entry point of this monorepo without a build.
const RUN_TS = path.resolve(APP_DIR, '../gateway/test/support/run-ts.mjs');

/** Starts the API process; resolves with its URL once it listens, or rejects with its stderr if it exits first. */
export function spawnApi(env: Record<string, string>): Promise<ApiProcess> {
  const child = spawn(process.execPath, ['--conditions=@stratus/source', RUN_TS, path.join(APP_DIR, 'src/main.ts')], {
    cwd: APP_DIR,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', MIGRATE_ON_START: 'false', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<ApiProcess>((resolve, reject) => {
    // Reading every line also keeps the pipe drained, so the child never blocks on logging.
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /API listening on (http:\/\/[^"\s]+)/.exec(line);
      if (match) resolve({ url: match[1]!, child, stderr: () => stderr, exited });
    });
    void exited.then(({ code }) => reject(new Error(`API exited (${code}) before listening: ${stderr}`)));
  });
}

/** Ends an API process if it still runs, and waits for it to be gone. */
export async function stopApi(api: ApiProcess | undefined): Promise<void> {
  if (!api) return;
  if (api.child.exitCode === null && api.child.signalCode === null) api.child.kill('SIGKILL');
  await api.exited;
}
