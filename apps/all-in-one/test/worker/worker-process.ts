import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** The worker's dist/main.js, built by the jest global setup (build-worker.ts), started as deployed. */
export const WORKER_MAIN = path.resolve(__dirname, '..', '..', '..', 'worker', 'dist', 'main.js');

/** One JSON log line of a worker process. */
export interface LogEntry {
  msg?: string;
  level?: number;
  sessionId?: string;
  jobId?: string;
  final?: boolean;
  [key: string]: unknown;
}

/** A real worker process, its log followed line by line. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Session ids whose turn jobs this worker started (needs LOG_LEVEL=debug). */
  started: Set<string>;
  /** Session ids whose turns this worker handed back to the queue as it shut down. */
  handedBack: Set<string>;
  /** Every log line so far. */
  log: LogEntry[];
  /** What the process wrote to stderr. */
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /**
   * Waits for a log line (one already written counts); rejects when the process exits first or after
   * `timeoutMs`, a generous bound for a loaded machine, not a measure.
   */
  waitForLog(match: (entry: LogEntry) => boolean, what: string, timeoutMs?: number): Promise<LogEntry>;
}

/** Starts a worker process with `env` on top of this process's environment; resolves once it is ready. */
export function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [WORKER_MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const waiters = new Set<(entry: LogEntry) => void>();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const worker: WorkerProcess = {
    child,
    started: new Set(),
    handedBack: new Set(),
    log: [],
    stderr: () => stderr,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    waitForLog(match, what, timeoutMs = 60_000) {
      const found = worker.log.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
        const onLine = (entry: LogEntry) => {
          if (match(entry)) done(undefined, entry);
        };
        const done = (error?: Error, entry?: LogEntry) => {
          clearTimeout(timer);
          waiters.delete(onLine);
          if (error) reject(error);
          else resolve(entry!);
        };
        waiters.add(onLine);
        void worker.exited.then((code) => done(new Error(`the worker exited (${code}) while waiting for ${what}: ${stderr.slice(-2000)}`)));
      });
    },
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return; // not a log line of ours
    }
    worker.log.push(entry);
    if (entry.msg === 'turn job started' && entry.sessionId) worker.started.add(entry.sessionId);
    if (entry.msg?.startsWith('turn handed back') && entry.sessionId) worker.handedBack.add(entry.sessionId);
    for (const waiter of [...waiters]) waiter(entry);
  });
  return worker.waitForLog((entry) => entry.msg?.startsWith('Stratus worker running') === true, 'the worker to start').then(() => worker);
}
