import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { templateOf } from '../pool/template-digest';
import { WarmPool, type WarmPoolConfig } from '../pool/warm-pool';
import type {
  ReconcileOptions,
  ReconcileReport,
  SandboxHandle,
  SandboxProvider,
  SandboxRecord,
  SandboxSpec,
  SandboxTemplate,
} from '../provider';
import { bwrapArgs, findExecutable } from './bwrap';
import { RunnerProcess } from './runner-process';
import { resolveRunnerInstall, type RunnerInstall } from './runner-install';

/** The part of a pino logger this provider uses. */
export interface SandboxLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface LocalSandboxProviderOptions {
  /** One directory per session is created below it (workspace, runner socket, scratch space). */
  baseDir: string;
  /**
   * Who the sandboxes belong to (the deployment's id), recorded in each sandbox's marker: the
   * reconciler removes only directories it owns, so deployments sharing a base directory leave each other alone.
   */
  owner: string;
  /**
   * 'auto' (default): bubblewrap when `bwrap` is on PATH, otherwise a plain process and a warning.
   * 'bwrap': refuse to start without it. 'none': always a plain process.
   */
  isolation?: 'auto' | 'bwrap' | 'none';
  /** How long the runner may take to print its ready line; default 10 s. */
  readyTimeoutMs?: number;
  /** Defaults to the built @stratus/sandbox-runner this package depends on. */
  runner?: RunnerInstall;
  /** Defaults to the Node.js running this process. */
  nodePath?: string;
  logger?: SandboxLogger;
  /** Pre-started runners per environment. */
  warmPool?: WarmPoolConfig;
}

interface LocalSandbox {
  handle: SandboxHandle;
  process: RunnerProcess;
  /** The sandbox's directory name under the base directory: the session id, or warm-<hex> for a warm one. */
  dirName: string;
}

/** sandbox.json in each sandbox directory: whose it is, so list() and reconcile() can tell after a restart. */
interface SandboxMarker {
  /** The deployment that created it; absent in markers written before owners were recorded. */
  owner?: string;
  sessionId?: string;
  workspaceId: string;
  environmentId: string;
  createdAt: string;
}

const MARKER = 'sandbox.json';
const WARM_PREFIX = 'warm-';

/** Session ids become directory names; anything else could walk out of the base directory. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** sun_path is 108 bytes on Linux including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Real paths of those directories that exist (a tmpfs needs an existing mount point). */
async function existingRealDirs(dirs: string[]): Promise<string[]> {
  const real = await Promise.all(dirs.map((dir) => realpath(dir).catch(() => undefined)));
  return real.filter((dir) => dir !== undefined);
}

const defaultLogger: SandboxLogger = {
  warn: (_details, message) => process.emitWarning(message),
};

/**
 * Sandboxes as local processes: one sandbox-runner per session, under bubblewrap when available,
 * reached over a Unix socket in the session's directory. For laptops, all-in-one mode and tests.
 */
export class LocalSandboxProvider implements SandboxProvider {
  /** How sandboxes are isolated, decided once when the provider is created. */
  readonly isolation: 'bwrap' | 'none';
  private readonly bwrapPath: string | undefined;
  private readonly sandboxes = new Map<string, LocalSandbox>();
  private readonly starting = new Map<string, Promise<LocalSandbox>>();
  private readonly nodePath: string;
  private readonly logger: SandboxLogger;
  private readonly readyTimeoutMs: number;
  private readonly pool?: WarmPool<LocalSandbox>;

  constructor(private readonly options: LocalSandboxProviderOptions) {
    this.nodePath = options.nodePath ?? process.execPath;
    this.logger = options.logger ?? defaultLogger;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    const mode = options.isolation ?? 'auto';
    this.bwrapPath = mode === 'none' ? undefined : findExecutable('bwrap');
    if (mode === 'bwrap' && this.bwrapPath === undefined) {
      throw new Error('isolation "bwrap" was requested but bwrap is not on PATH (apt-get install bubblewrap)');
    }
    this.isolation = this.bwrapPath === undefined ? 'none' : 'bwrap';
    if (mode === 'auto' && this.isolation === 'none') {
      this.logger.warn(
        { isolation: 'none' },
        'bwrap not found: local sandboxes run as plain processes with the worker\'s file and network access; install bubblewrap to isolate them',
      );
    }
    if (options.warmPool !== undefined) {
      this.pool = new WarmPool<LocalSandbox>(
        options.warmPool,
        {
          start: (template, digest) => this.start(template, `${WARM_PREFIX}${digest.slice(0, 6)}-${randomBytes(4).toString('hex')}`),
          stop: (sandbox) => this.remove(sandbox),
        },
        this.logger,
      );
    }
  }

  async provision(spec: SandboxSpec): Promise<SandboxHandle> {
    if (!SESSION_ID.test(spec.sessionId)) throw new Error(`invalid session id for a sandbox directory: ${spec.sessionId}`);
    const running = this.sandboxes.get(spec.sessionId);
    if (running) return running.handle;
    let starting = this.starting.get(spec.sessionId);
    if (!starting) {
      starting = this.claimOrStart(spec).finally(() => this.starting.delete(spec.sessionId));
      this.starting.set(spec.sessionId, starting);
    }
    return (await starting).handle;
  }

  private async claimOrStart(spec: SandboxSpec): Promise<LocalSandbox> {
    const began = performance.now();
    this.pool?.prewarm(templateOf(spec));
    const warm = await this.pool?.claim(spec, async (sandbox) => {
      if (!sandbox.process.running) throw new Error('warm runner exited');
      const sessionDir = path.join(this.options.baseDir, sandbox.dirName);
      await writeMarker(sessionDir, { ...this.markerOf(spec), sessionId: spec.sessionId });
      const claimed: LocalSandbox = {
        ...sandbox,
        handle: { ...sandbox.handle, sessionId: spec.sessionId, startedAt: new Date(), startupMs: performance.now() - began, warm: true },
      };
      this.adoptRunning(claimed);
      return claimed;
    });
    if (warm !== undefined) return warm;
    const sandbox = await this.start(spec, spec.sessionId, spec.sessionId);
    this.adoptRunning(sandbox);
    return sandbox;
  }

  /** Registers a session's running sandbox and forgets it if its runner dies on its own. */
  private adoptRunning(sandbox: LocalSandbox): void {
    const sessionId = sandbox.handle.sessionId;
    this.sandboxes.set(sessionId, sandbox);
    void sandbox.process.exited.then(() => {
      // A runner that dies on its own is forgotten, so the next turn provisions a new one.
      if (this.sandboxes.get(sessionId) !== sandbox) return;
      this.sandboxes.delete(sessionId);
      this.logger.warn({ sessionId, stderr: sandbox.process.stderr }, 'sandbox runner exited unexpectedly');
    });
  }

  async get(sessionId: string): Promise<SandboxHandle | undefined> {
    return this.sandboxes.get(sessionId)?.handle;
  }

  async destroy(sessionId: string): Promise<void> {
    await this.starting.get(sessionId)?.catch(() => undefined);
    const sandbox = this.sandboxes.get(sessionId);
    this.sandboxes.delete(sessionId);
    if (sandbox !== undefined) await this.remove(sandbox);
    if (!SESSION_ID.test(sessionId)) return;
    const dir = path.join(this.options.baseDir, sessionId);
    if ((await readMarker(dir))?.owner === this.options.owner) await rm(dir, { recursive: true, force: true });
  }

  /**
   * The sandboxes this provider owns: directories whose marker names it. Anything else under the base
   * directory (another deployment's sandboxes, a directory without a marker) is not its to list or remove.
   */
  async list(): Promise<SandboxRecord[]> {
    const entries = await readdir(this.options.baseDir, { withFileTypes: true }).catch(() => []);
    const running = new Set([...this.sandboxes.values(), ...(this.pool?.held() ?? [])].map((sandbox) => sandbox.dirName));
    const records: SandboxRecord[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const marker = await readMarker(path.join(this.options.baseDir, entry.name));
      if (marker?.owner !== this.options.owner) continue;
      const warm = entry.name.startsWith(WARM_PREFIX) && marker.sessionId === undefined;
      records.push({
        id: entry.name,
        sessionId: marker.sessionId,
        workspaceId: marker.workspaceId,
        environmentId: marker.environmentId,
        // A directory without a runner is what a crashed worker leaves: its workspace, no process.
        state: running.has(entry.name) ? 'running' : 'finished',
        warm,
        createdAt: new Date(marker.createdAt),
      });
    }
    return records;
  }

  /**
   * Removes directories of sessions that are gone and warm directories no pool holds. The directory
   * of a live session whose runner is gone (a worker restart) stays: the next provision reuses its workspace.
   */
  async reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
    const records = await this.list();
    const sessionIds = [...new Set(records.map((record) => record.sessionId).filter((id) => id !== undefined))];
    const live = sessionIds.length > 0 ? await options.liveSessions(sessionIds) : new Set<string>();
    const held = new Set((this.pool?.held() ?? []).map((sandbox) => sandbox.dirName));
    const starting = new Set(this.starting.keys());
    const report: ReconcileReport = { destroyed: [] };
    for (const record of records) {
      if (record.sessionId !== undefined) {
        if (live.has(record.sessionId) || starting.has(record.sessionId)) continue;
        await this.destroyDirectory(record.id, record.sessionId);
        report.destroyed.push({ id: record.id, sessionId: record.sessionId, reason: 'session_gone' });
      } else if (record.warm && !held.has(record.id) && record.state === 'finished' && Date.now() - record.createdAt.getTime() > this.readyTimeoutMs) {
        // The pool holds a warm sandbox only once it is ready; one still starting (younger than the
        // start timeout) has a directory but no entry yet, and must not be swept from under it.
        await rm(path.join(this.options.baseDir, record.id), { recursive: true, force: true });
        report.destroyed.push({ id: record.id, reason: 'stale_warm' });
      }
    }
    return report;
  }

  prewarm(template: SandboxTemplate): void {
    this.pool?.prewarm(template);
  }

  /** Warm sandboxes of the environment ready to be claimed (a gauge for metrics). */
  warmSandboxes(environmentId: string): number {
    return this.pool?.readyCount(environmentId) ?? 0;
  }

  async shutdown(): Promise<void> {
    await this.pool?.close();
    const ids = new Set([...this.sandboxes.keys(), ...this.starting.keys()]);
    await Promise.all([...ids].map((id) => this.destroy(id)));
  }

  private async destroyDirectory(dirName: string, sessionId: string): Promise<void> {
    const sandbox = this.sandboxes.get(sessionId);
    if (sandbox?.dirName === dirName) {
      this.sandboxes.delete(sessionId);
      await sandbox.process.stop();
    }
    await rm(path.join(this.options.baseDir, dirName), { recursive: true, force: true });
  }

  private markerOf(spec: SandboxTemplate): SandboxMarker {
    return { owner: this.options.owner, workspaceId: spec.workspaceId, environmentId: spec.environmentId, createdAt: new Date().toISOString() };
  }

  /** Stops a sandbox's runner and deletes its directory. */
  private async remove(sandbox: LocalSandbox): Promise<void> {
    await sandbox.process.stop();
    await rm(path.join(this.options.baseDir, sandbox.dirName), { recursive: true, force: true });
  }

  /** Starts a runner in `baseDir/dirName`; `sessionId` is unset for a warm sandbox. */
  private async start(spec: SandboxTemplate, dirName: string, sessionId?: string): Promise<LocalSandbox> {
    const started = performance.now();
    await mkdir(this.options.baseDir, { recursive: true });
    const sessionDir = path.join(await realpath(this.options.baseDir), dirName);
    const dirs = { workspace: path.join(sessionDir, 'workspace'), run: path.join(sessionDir, 'run'), tmp: path.join(sessionDir, 'tmp') };
    const socketPath = path.join(dirs.run, 'runner.sock');
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new Error(`sandbox socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter base directory`);
    }
    await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
    await writeMarker(sessionDir, { ...this.markerOf(spec), sessionId });

    const runner = this.options.runner ?? resolveRunnerInstall();
    const token = randomBytes(32).toString('base64url');
    // Built from nothing: the worker's own environment (model keys, DATABASE_URL, REDIS_URL) never reaches a sandbox.
    const env: NodeJS.ProcessEnv = {
      PATH: `${path.dirname(this.nodePath)}:${SYSTEM_PATH}`,
      LANG: 'C.UTF-8',
      // Inside bubblewrap /tmp is already private; a plain process gets a scratch directory of its own.
      TMPDIR: this.bwrapPath !== undefined ? '/tmp' : dirs.tmp,
      ...spec.environmentVariables,
      STRATUS_RUNNER_TOKEN: token,
      STRATUS_RUNNER_SOCKET: socketPath,
      STRATUS_WORKSPACE_DIR: dirs.workspace,
      STRATUS_RUNNER_NETWORKING: JSON.stringify(spec.networking),
      STRATUS_RUNNER_EXIT_ON_STDIN_CLOSE: '1',
    };
    const bwrap = this.bwrapPath;
    const runnerProcess =
      bwrap === undefined
        ? await RunnerProcess.start(this.nodePath, [runner.entry], env, this.readyTimeoutMs)
        : await RunnerProcess.start(
            bwrap,
            [
              ...bwrapArgs({
                workspaceDir: dirs.workspace,
                runDir: dirs.run,
                networking: spec.networking,
                hiddenDirs: await existingRealDirs(['/tmp', path.dirname(sessionDir), homedir()]),
                readOnlyPaths: [await realpath(this.nodePath), ...runner.codePaths],
              }),
              '--',
              this.nodePath,
              runner.entry,
            ],
            env,
            this.readyTimeoutMs,
          );
    const handle: SandboxHandle = {
      sessionId: sessionId ?? '',
      endpoint: { socketPath },
      token,
      startedAt: new Date(),
      startupMs: performance.now() - started,
    };
    return { handle, process: runnerProcess, dirName };
  }
}


async function writeMarker(dir: string, marker: SandboxMarker): Promise<void> {
  await writeFile(path.join(dir, MARKER), JSON.stringify(marker));
}

async function readMarker(dir: string): Promise<SandboxMarker | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, MARKER), 'utf8')) as SandboxMarker;
  } catch {
    return undefined;
  }
}
