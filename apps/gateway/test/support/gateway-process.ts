import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { Fixture } from './fixture';

/** A gateway running as a real process (src/main.ts through run-ts.mjs), which a test can SIGKILL or SIGTERM. */
export interface GatewayProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const APP_DIR = path.resolve(__dirname, '../..');

export async function spawnGateway(fixture: Fixture, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--conditions=@stratus/source', path.join(__dirname, 'run-ts.mjs'), path.join(APP_DIR, 'src/main.ts')], {
    cwd: APP_DIR,
    env: {
      ...process.env,
      DATABASE_URL: fixture.db.url,
      REDIS_URL: fixture.redisUrl,
      REDIS_KEY_PREFIX: fixture.redisKeyPrefix,
      RATE_LIMIT_REQUESTS: '0',
      MIGRATE_ON_START: 'false',
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
      // The listening line is how the test learns the port.
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    // A gateway that never listens is killed, or it would outlive the test (and keep jest from exiting).
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start: ${stderr}`));
    }, 60_000);
    // Reading every line also keeps the pipe drained, so the child never blocks on logging.
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /gateway listening on (http:\/\/[^"]+)"/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve(match[1]!);
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before listening: ${stderr}`));
    });
  });
  return { url, port: Number(new URL(url).port), child, exited };
}

/** Stops a gateway process if it still runs, and waits for it to be gone. */
export async function stopGateway(gateway: GatewayProcess | undefined): Promise<void> {
  if (!gateway) return;
  if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
  await gateway.exited;
}
