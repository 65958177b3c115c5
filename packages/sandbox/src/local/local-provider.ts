import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { proxyVariables, runnerReadyLine, shellQuote, type RunnerEnvironment } from '@stratus/sandbox-protocol';
import { signEgressGrant } from '../egress/egress-credential';
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
import { bwrapArgs, commonRoot, findExecutable, runnerPathInside, SANDBOX_PATHS, SANDBOX_UID, systemEntries } from './bwrap';
import { EgressProxyProcess, type LocalEgressProxy } from './egress-proxy-process';
import { EntryServer } from './entry-server';
import { CgroupManager, parseCpuQuantity, parseMemoryQuantity, type SandboxCgroup } from './cgroups';
import { HostHelper } from './host-helper';
import { BWRAP_ARGS_FD, hostLaunch, type SandboxRlimits } from './host-launch';
import { exportLines, NamespaceExec, SCRIPT_FROM_FD3 } from './namespace-exec';
import { bridgeEgress, EGRESS_BRIDGE_PORT } from './netns-bridge';
import { OnDemandRunner } from './on-demand-runner';
import { RunnerProcess } from './runner-process';
import { resolveRunnerInstall, type RunnerInstall } from './runner-install';
import { canEnterSandboxes, enterCommand } from './sandbox-entry';
import { compileSeccompFilter } from './seccomp-filter';
import { SpareWorkspaces } from './spare-workspaces';
import { StartSteps } from './start-steps';
import { removeSandboxDirectory, WorkspaceVolumes } from './workspace-volume';

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
  /** The built sandbox runner to start (apps/sandbox-runner/dist/main.js); the worker's STRATUS_SANDBOX_RUNNER_ENTRY. */
  runnerEntry: string;
  /** Defaults to the Node.js running this process. */
  nodePath?: string;
  logger?: SandboxLogger;
  /** Pre-started runners per environment. */
  warmPool?: WarmPoolConfig;
  /**
   * The egress proxy of sandboxes whose networking allows traffic: `entry`, the built apps/egress-proxy
   * this provider starts once (on a Unix socket in the base directory, with a key of its own), or an
   * already running one's socket and signing key. Without it, bubblewrap sandboxes have no network at
   * all, whatever their networking.
   */
  egressProxy?: { entry: string } | LocalEgressProxy;
  /**
   * The workspace disk limit, default 10 GiB: the size of each bubblewrap sandbox's workspace volume
   * (when the worker can mount one), the largest single file (RLIMIT_FSIZE) and the size of its private /tmp.
   */
  diskLimitBytes?: number;
  /** Most processes (and threads) a sandbox may have at once; default 512. */
  pidsLimit?: number;
  /** Upper bound on one command's run time, whatever the call asks for; default 600 s. */
  commandTimeoutMs?: number;
  /** How long a sandbox's file-tool runner stays up after its last call (bubblewrap, root worker); default 10 s. */
  runnerIdleMs?: number;
  /**
   * Sandbox directories with their workspace volume made and mounted ahead of time, for cold starts
   * to claim (bubblewrap with workspace volumes only); default 2, 0 for none.
   */
  spareWorkspaces?: number;
}

interface LocalSandbox {
  handle: SandboxHandle;
  /** The sandbox's first process: its init (bwrap holding the namespaces), or the runner itself. */
  process: RunnerProcess;
  /** Stops what serves the sandbox from outside its init (the on-demand runner, the egress bridge). */
  release?: () => Promise<void>;
  /** The sandbox's directory name under the base directory: the session id, or warm-<hex> for a warm one. */
  dirName: string;
  /** Its cgroup(s), removed with it. */
  cgroup?: SandboxCgroup;
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
/** Below the base directory: the spares (its name, with a dot, can be no session's). */
const SPARES_DIR = '.spares';
const DEFAULT_SPARE_WORKSPACES = 2;

/** Session ids become directory names; anything else could walk out of the base directory. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** sun_path is 108 bytes on Linux including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Limits of an environment without resources, as on Kubernetes. */
const DEFAULT_RESOURCES = { cpu: '1', memory: '2Gi' };
const DEFAULT_DISK_LIMIT_BYTES = 10 * 2 ** 30;
const DEFAULT_PIDS_LIMIT = 512;
const DEFAULT_COMMAND_TIMEOUT_MS = 600_000;
const DEFAULT_RUNNER_IDLE_MS = 10_000;
/** What a sandbox's init runs: it prints the ready line, then holds the namespaces doing nothing. */
const INIT_COMMAND = ['/bin/sh', '-c', 'echo "$0"; exec sleep infinity', runnerReadyLine('init').trim()];
/** Enough for Node.js and a build tool's file watchers. */
const OPEN_FILES_LIMIT = 8192;
/**
 * Host uids sandboxes run as when the worker is root: one per sandbox directory (a hash of its
 * name), so RLIMIT_NPROC counts each sandbox's processes apart and no sandbox owns the worker's files.
 */
const HOST_UID_BASE = 200_000;
const HOST_UID_RANGE = 100_000;
/** The fd RunnerProcess hands the seccomp filter on (after bubblewrap's arguments on fd 3). */
const SECCOMP_FD = 4;
/** Egress credentials of local sandboxes outlive any session; deleting the sandbox is what ends its egress. */
const EGRESS_CREDENTIAL_TTL_SECONDS = 30 * 24 * 3600;

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
  private runnerInstall?: RunnerInstall;
  /** The Node.js binary bound into sandboxes, resolved once. */
  private readonly realNodePath: string;
  private readonly logger: SandboxLogger;
  private readonly readyTimeoutMs: number;
  private readonly pool?: WarmPool<LocalSandbox>;
  private readonly system = systemEntries();
  /** The cgroup hierarchy sandboxes are limited in; undefined when none is writable (rlimits only). */
  private readonly cgroups: Promise<CgroupManager | undefined>;
  private readonly egressProxy?: EgressProxyProcess | LocalEgressProxy;
  /** Workspace volumes of the disk limit; undefined when the worker cannot mount them (RLIMIT_FSIZE only). */
  private readonly volumes: Promise<WorkspaceVolumes | undefined>;
  /** The seccomp filter every sandbox is started with; undefined when it cannot be compiled here. */
  private readonly seccomp: Promise<Buffer | undefined>;
  /** Spare sandbox directories with their volume mounted; undefined without workspace volumes. */
  private readonly spares: Promise<SpareWorkspaces | undefined>;
  private baseDirReady?: Promise<string>;
  /** Sets bubblewrap's rlimits and opens the egress bridges' sockets in sandboxes' network namespaces. */
  private readonly hostHelper = new HostHelper();
  /** Starts the commands of every sandbox of this provider inside it. */
  private readonly entries = new EntryServer();
  private ownUidsDecision?: Promise<boolean>;

  constructor(private readonly options: LocalSandboxProviderOptions) {
    this.nodePath = options.nodePath ?? process.execPath;
    this.realNodePath = realpathSync(this.nodePath);
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
    this.cgroups =
      this.isolation === 'bwrap'
        ? CgroupManager.detect().then((manager) => {
            if (manager === undefined) {
              this.logger.warn(
                { isolation: 'bwrap', cgroups: 'unavailable' },
                'no writable cgroup (v2 or v1 memory/cpu/pids): local sandboxes get no memory, CPU or process-count limit, only rlimits (file size, open files); run the worker as root or give it a delegated cgroup',
              );
            }
            return manager;
          })
        : Promise.resolve(undefined);
    this.volumes = this.isolation === 'bwrap' ? this.detectVolumes() : Promise.resolve(undefined);
    this.seccomp = this.isolation === 'bwrap' ? this.compileSeccomp() : Promise.resolve(undefined);
    this.spares = this.makeSpares();
    const egress = options.egressProxy;
    this.egressProxy =
      egress !== undefined && 'entry' in egress
        ? new EgressProxyProcess({
            nodePath: this.nodePath,
            entry: egress.entry,
            socketPath: path.join(options.baseDir, `egress-${process.pid}.sock`),
            logger: this.logger,
            readyTimeoutMs: this.readyTimeoutMs,
          })
        : egress;
    if (this.isolation === 'bwrap' && egress === undefined) {
      this.logger.warn(
        { isolation: 'bwrap', egress: 'none' },
        'no egress proxy configured: local sandboxes have no network at all, whatever their networking type (set STRATUS_SANDBOX_EGRESS_PROXY_ENTRY)',
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
        handle: { ...sandbox.handle, sessionId: spec.sessionId, startedAt: new Date(), startupMs: performance.now() - began, startupSteps: undefined, warm: true },
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
      void sandbox.release?.();
      void sandbox.cgroup?.remove();
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
    if ((await readMarker(dir))?.owner === this.options.owner) await removeSandboxDirectory(dir);
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
    for (const id of await SpareWorkspaces.removeAbandoned(path.join(this.options.baseDir, SPARES_DIR), this.options.owner)) {
      report.destroyed.push({ id: `${SPARES_DIR}/${id}`, reason: 'abandoned_spare' });
    }
    for (const record of records) {
      if (record.sessionId !== undefined) {
        if (live.has(record.sessionId) || starting.has(record.sessionId)) continue;
        await this.destroyDirectory(record.id, record.sessionId);
        report.destroyed.push({ id: record.id, sessionId: record.sessionId, reason: 'session_gone' });
      } else if (record.warm && !held.has(record.id) && record.state === 'finished' && Date.now() - record.createdAt.getTime() > this.readyTimeoutMs) {
        // The pool holds a warm sandbox only once it is ready; one still starting (younger than the
        // start timeout) has a directory but no entry yet, and must not be swept from under it.
        await removeSandboxDirectory(path.join(this.options.baseDir, record.id));
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

  /** Spare sandbox directories ready for cold starts (a gauge for metrics). */
  async spareWorkspaces(): Promise<number> {
    return (await this.spares)?.readyCount ?? 0;
  }

  async shutdown(): Promise<void> {
    await (await this.spares)?.close();
    await this.pool?.close();
    const ids = new Set([...this.sandboxes.keys(), ...this.starting.keys()]);
    await Promise.all([...ids].map((id) => this.destroy(id)));
    this.hostHelper.close();
    this.entries.close();
    if (this.egressProxy instanceof EgressProxyProcess) await this.egressProxy.stop();
  }

  private async destroyDirectory(dirName: string, sessionId: string): Promise<void> {
    const sandbox = this.sandboxes.get(sessionId);
    if (sandbox?.dirName === dirName) {
      this.sandboxes.delete(sessionId);
      await sandbox.release?.();
      await sandbox.process.stop();
      await sandbox.cgroup?.remove();
    }
    await removeSandboxDirectory(path.join(this.options.baseDir, dirName));
  }

  private markerOf(spec: SandboxTemplate): SandboxMarker {
    return { owner: this.options.owner, workspaceId: spec.workspaceId, environmentId: spec.environmentId, createdAt: new Date().toISOString() };
  }

  /** Stops a sandbox's runner and deletes its directory. */
  private async remove(sandbox: LocalSandbox): Promise<void> {
    await sandbox.release?.();
    await sandbox.process.stop();
    await sandbox.cgroup?.remove();
    await removeSandboxDirectory(path.join(this.options.baseDir, sandbox.dirName));
  }

  /** Starts a sandbox in `baseDir/dirName`; `sessionId` is unset for a warm sandbox. */
  private async start(spec: SandboxTemplate, dirName: string, sessionId?: string): Promise<LocalSandbox> {
    try {
      return await this.launch(spec, dirName, sessionId);
    } finally {
      // Replaces a spare the start used once it is over, so that making one does not slow the start down.
      (await this.spares)?.fill();
    }
  }

  private async launch(spec: SandboxTemplate, dirName: string, sessionId?: string): Promise<LocalSandbox> {
    const started = performance.now();
    const steps = new StartSteps();
    const sessionDir = path.join(await this.realBaseDir(), dirName);
    const dirs = { workspace: path.join(sessionDir, 'workspace'), run: path.join(sessionDir, 'run'), tmp: path.join(sessionDir, 'tmp') };
    const socketPath = path.join(dirs.run, 'runner.sock');
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new Error(`sandbox socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter base directory`);
    }
    const marker: SandboxMarker = { ...this.markerOf(spec), sessionId };

    // Resolved on the first start (an entry missing then fails that start) and kept: it reads the file system.
    const runner = (this.runnerInstall ??= resolveRunnerInstall(this.options.runnerEntry));
    const token = randomBytes(32).toString('base64url');
    const commandTimeoutMs = this.options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const resources = spec.resources ?? DEFAULT_RESOURCES;
    // The session's variables reach commands only, through the runner: never the environment of a
    // program that runs on the host (bwrap, or the runner itself without isolation).
    const runnerSettings: RunnerEnvironment = {
      STRATUS_RUNNER_TOKEN: token,
      STRATUS_RUNNER_NETWORKING: JSON.stringify(spec.networking),
      STRATUS_RUNNER_EXIT_ON_STDIN_CLOSE: '1',
      STRATUS_RUNNER_COMMAND_ENV: JSON.stringify(spec.environmentVariables),
      STRATUS_RUNNER_MAX_COMMAND_MS: String(commandTimeoutMs),
    };
    const bwrap = this.bwrapPath;
    if (bwrap === undefined) {
      await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
      await writeMarker(sessionDir, marker);
      // Built from nothing: the worker's own environment (model keys, DATABASE_URL, REDIS_URL) never reaches a sandbox.
      const env = {
        PATH: `${path.dirname(this.nodePath)}:${SYSTEM_PATH}`,
        LANG: 'C.UTF-8',
        TMPDIR: dirs.tmp,
        ...runnerSettings,
        ...({ STRATUS_RUNNER_SOCKET: socketPath, STRATUS_WORKSPACE_DIR: dirs.workspace } satisfies RunnerEnvironment),
      };
      const runnerProcess = await RunnerProcess.start(this.nodePath, [runner.entry], env, this.readyTimeoutMs);
      return { handle: this.handleOf(sessionId, socketPath, token, started), process: runnerProcess, dirName };
    }

    const runnerCodePaths = [...new Set(runner.codePaths)];
    const hostUid = (await this.ownUids(runnerCodePaths)) ? HOST_UID_BASE + (createHash('sha256').update(dirName).digest().readUInt32BE(0) % HOST_UID_RANGE) : undefined;
    const etc = path.join(sessionDir, 'etc');
    const home = path.join(dirs.workspace, '.home');
    const diskBytes = this.options.diskLimitBytes ?? DEFAULT_DISK_LIMIT_BYTES;
    // A new sandbox takes a spare directory made ahead, its volume mounted, when one is ready (the
    // marker goes in first, so a crash at any point leaves a directory one reconciler or the other
    // removes); a sandbox directory that exists (a worker restart) is laid out again, keeping its files.
    const spares = await this.spares;
    const claimed = spares !== undefined && !existsSync(sessionDir) && (await spares.claim(sessionDir, (spare) => writeFileSync(path.join(spare, MARKER), JSON.stringify(marker))));
    steps.mark(claimed ? 'spareClaim' : 'workspaceVolume');
    if (!claimed) {
      await mkdir(sessionDir, { recursive: true });
      await writeMarker(sessionDir, marker);
      if (!(await this.layOut(sessionDir))) {
        this.logger.warn({ sandbox: dirName }, 'this workspace predates workspace volumes: only RLIMIT_FSIZE bounds its disk use');
      }
      steps.mark('workspaceVolume');
    }
    if (hostUid !== undefined) {
      // The sandbox's uid must reach its directories (base and sandbox directory are traversable, not
      // listable: see layOut). Three system calls, synchronous: cheaper than thread-pool round trips.
      for (const dir of [dirs.workspace, home, dirs.run]) chownSync(dir, hostUid, hostUid);
    }
    steps.mark('directories');
    const memoryBytes = parseMemoryQuantity(resources.memory);
    const cpuMillis = parseCpuQuantity(resources.cpu);
    const pids = this.options.pidsLimit ?? DEFAULT_PIDS_LIMIT;
    const cgroup = await (await this.cgroups)?.create(`stratus-${dirName}`, { memoryBytes, cpuMillis, pids });
    steps.mark('cgroup');
    const proxy = spec.networking.type === 'none' ? undefined : await this.proxy();
    const credential = proxy === undefined ? undefined : egressCredential(proxy, spec, sessionId ?? dirName);
    steps.mark('egressProxy');
    const runnerCode = { root: commonRoot(runnerCodePaths), paths: runnerCodePaths };
    const seccomp = await this.seccomp;
    steps.mark('seccomp');
    const limits = {
      cgroupProcsFiles: cgroup?.procsFiles ?? [],
      rlimits: { fileBytes: diskBytes, openFiles: OPEN_FILES_LIMIT, processes: hostUid !== undefined ? pids : undefined } satisfies SandboxRlimits,
    };
    const baseEnv = {
      PATH: `${path.dirname(SANDBOX_PATHS.node)}:${SYSTEM_PATH}`,
      LANG: 'C.UTF-8',
      TMPDIR: '/tmp',
      HOME: `${SANDBOX_PATHS.workspace}/.home`,
      USER: 'sandbox',
    };
    const runnerEnv = {
      ...baseEnv,
      ...runnerSettings,
      ...({
        STRATUS_RUNNER_SOCKET: `${SANDBOX_PATHS.run}/runner.sock`,
        STRATUS_WORKSPACE_DIR: SANDBOX_PATHS.workspace,
        STRATUS_RUNNER_MEMORY_LIMIT: resources.memory,
      } satisfies RunnerEnvironment),
    };
    // With a root worker, the sandbox's init only holds its namespaces and calls enter them (see
    // enterCommand); otherwise the runner is the init and stays for the sandbox's life.
    const enterable = process.getuid?.() === 0 && canEnterSandboxes();
    const args = bwrapArgs({
      workspaceDir: dirs.workspace,
      runDir: dirs.run,
      passwdFile: path.join(etc, 'passwd'),
      groupFile: path.join(etc, 'group'),
      nodePath: this.realNodePath,
      runnerCode,
      egressSocket: enterable ? undefined : proxy?.socketPath,
      seccompFd: seccomp !== undefined ? SECCOMP_FD : undefined,
      tmpBytes: diskBytes,
      env: enterable ? { PATH: SYSTEM_PATH } : { ...runnerEnv, ...residentEgress(credential) },
      system: this.system,
    });
    const runnerCommand = [SANDBOX_PATHS.node, runnerPathInside(runnerCode, runner.entry)];
    steps.mark('arguments');
    const keepFds = (seccomp !== undefined ? SECCOMP_FD : BWRAP_ARGS_FD) + 1;
    const launch = hostLaunch(
      { ...limits, hostUid, bwrapPath: bwrap, bwrapArgs: args.onCommandLine, command: enterable ? INIT_COMMAND : runnerCommand, keepFds },
      (pid, rlimits) => this.hostHelper.limit(pid, hostUid, rlimits),
    );
    let init: RunnerProcess;
    try {
      // bwrap itself starts with PATH and nothing else; all it passes on is set with --setenv above.
      init = await RunnerProcess.start(launch.command, launch.args, { PATH: SYSTEM_PATH }, this.readyTimeoutMs, args.fromFd, seccomp, launch);
    } catch (error) {
      await cgroup?.remove();
      throw error;
    }
    steps.mark('bwrapLaunch');
    const handle = this.handleOf(sessionId, socketPath, token, started);
    if (!enterable) return { handle: { ...handle, startupSteps: steps.steps }, process: init, dirName, cgroup };
    try {
      const initPid = innermostChild(init.pid!);
      const entry = (command: readonly string[]) => ({ ...limits, initPid, uid: SANDBOX_UID, seccompFilter: seccomp, command });
      const bridge = proxy === undefined ? undefined : bridgeEgress(await this.hostHelper.listen(initPid), proxy.socketPath);
      steps.mark('egressBridge');
      const proxyEnv = credential === undefined ? {} : proxyVariables(`http://${credential}@127.0.0.1:${EGRESS_BRIDGE_PORT}`);
      const exec = new NamespaceExec({
        start: (command, script) => this.entries.start(entry(command), script),
        workspaceDir: SANDBOX_PATHS.workspace,
        // As the resident runner did: the session's variables, then the proxy's and HOME, which it cannot override.
        env: { ...baseEnv, ...spec.environmentVariables, ...proxyEnv, HOME: baseEnv.HOME },
        maxCommandMs: commandTimeoutMs,
        memoryLimit: resources.memory,
        alive: () => init.running,
      });
      const fileTools = new OnDemandRunner(() => {
        const runnerEntry = enterCommand(entry(['/bin/bash', '--noprofile', '--norc', '-c', SCRIPT_FROM_FD3]));
        const script = `${exportLines({ ...runnerEnv, ...proxyEnv })}exec ${runnerCommand.map(shellQuote).join(' ')}`;
        return RunnerProcess.start(runnerEntry.command, runnerEntry.args, { PATH: SYSTEM_PATH }, this.readyTimeoutMs, [script]);
      }, this.options.runnerIdleMs ?? DEFAULT_RUNNER_IDLE_MS);
      handle.channel = {
        exec: (body, signal) => exec.run(body, signal),
        withRunner: (call) => fileTools.use(call),
        alive: () => init.running,
      };
      const release = async () => {
        exec.killAll();
        await fileTools.close();
        await bridge?.close();
      };
      handle.startupMs = performance.now() - started;
      handle.startupSteps = steps.steps;
      return { handle, process: init, dirName, cgroup, release };
    } catch (error) {
      await init.stop();
      await cgroup?.remove();
      throw error;
    }
  }

  /** The base directory, made once (traversable by sandboxes' own uids, not listable by them), as a real path. */
  private realBaseDir(): Promise<string> {
    this.baseDirReady ??= (async () => {
      await mkdir(this.options.baseDir, { recursive: true });
      if (this.isolation === 'bwrap') await chmod(this.options.baseDir, 0o711);
      return realpath(this.options.baseDir);
    })();
    return this.baseDirReady;
  }

  /**
   * What a bubblewrap sandbox's directory holds before it starts: its workspace (on a volume of the
   * disk limit when the worker can mount one), with the sandbox user's home, its run and tmp
   * directories, and the passwd and group files it sees. Idempotent, so it also serves a directory a
   * restarted worker finds; false when that directory's workspace predates volumes (none is mounted
   * over its files). The caller gives the workspace, its home and the run directory to the sandbox's uid.
   */
  private async layOut(sandboxDir: string): Promise<boolean> {
    const workspace = path.join(sandboxDir, 'workspace');
    const etc = path.join(sandboxDir, 'etc');
    await Promise.all(['workspace', 'run', 'tmp', 'etc'].map((name) => mkdir(path.join(sandboxDir, name), { recursive: true })));
    await Promise.all([
      chmod(sandboxDir, 0o711),
      writeFile(path.join(etc, 'passwd'), `root:x:0:0:root:/root:/bin/bash\nsandbox:x:${SANDBOX_UID}:${SANDBOX_UID}:sandbox:${SANDBOX_PATHS.workspace}/.home:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`),
      writeFile(path.join(etc, 'group'), `root:x:0:\nsandbox:x:${SANDBOX_UID}:\nnogroup:x:65534:\n`),
    ]);
    const volumes = await this.volumes;
    const mounted = volumes === undefined || (await volumes.attach(sandboxDir, workspace, this.options.diskLimitBytes ?? DEFAULT_DISK_LIMIT_BYTES, undefined));
    await mkdir(path.join(workspace, '.home'), { recursive: true });
    return mounted;
  }

  /** The spare directories, started filling at once, when sandboxes get workspace volumes. */
  private async makeSpares(): Promise<SpareWorkspaces | undefined> {
    const count = this.options.spareWorkspaces ?? DEFAULT_SPARE_WORKSPACES;
    if (count <= 0 || (await this.volumes) === undefined) return undefined;
    const spares = new SpareWorkspaces({
      dir: path.join(await this.realBaseDir(), SPARES_DIR),
      owner: this.options.owner,
      count,
      prepare: async (dir) => {
        if (!(await this.layOut(dir))) throw new Error(`the spare ${dir} has files outside a volume`);
      },
      logger: this.logger,
    });
    spares.fill();
    return spares;
  }

  /**
   * Whether sandboxes run as host uids of their own: only a root worker can switch, and bubblewrap
   * opens the bind sources as that uid, so the base directory's parents, Node.js and the runner's
   * code must be reachable by other users. Otherwise (say a checkout under a 0700 home) sandboxes
   * keep the worker's uid on the host, still uid 1000 without capabilities inside; decided once,
   * with a warning.
   */
  private async ownUids(runnerCodePaths: readonly string[]): Promise<boolean> {
    this.ownUidsDecision ??= (async () => {
      if (process.getuid?.() !== 0) return false;
      const needed = [path.dirname(await realpath(this.options.baseDir)), path.dirname(await realpath(this.nodePath)), ...runnerCodePaths];
      const blocked = (await Promise.all(needed.map(async (dir) => ((await traversable(dir)) ? undefined : dir)))).filter((dir) => dir !== undefined);
      if (blocked.length === 0) return true;
      this.logger.warn(
        { blocked },
        `local sandboxes run as the worker's uid (root on the host, without capabilities) instead of uids of their own: other users cannot reach ${blocked.join(', ')} (chmod o+x on the directories above them to fix)`,
      );
      return false;
    })();
    return this.ownUidsDecision;
  }

  private async detectVolumes(): Promise<WorkspaceVolumes | undefined> {
    const volumes = await WorkspaceVolumes.detect();
    if (volumes instanceof WorkspaceVolumes) return volumes;
    this.logger.warn(
      { isolation: 'bwrap', diskLimit: 'per-file' },
      `no workspace volumes (${volumes.unavailable}): the disk limit bounds each file a sandbox writes (RLIMIT_FSIZE), not its workspace as a whole`,
    );
    return undefined;
  }

  private async compileSeccomp(): Promise<Buffer | undefined> {
    const filter = await compileSeccompFilter();
    if (Buffer.isBuffer(filter)) return filter;
    this.logger.warn({ isolation: 'bwrap', seccomp: 'none' }, `no seccomp filter for local sandboxes: ${filter.unavailable}`);
    return undefined;
  }

  private async proxy(): Promise<LocalEgressProxy | undefined> {
    return this.egressProxy instanceof EgressProxyProcess ? this.egressProxy.get() : this.egressProxy;
  }

  private handleOf(sessionId: string | undefined, socketPath: string, token: string, started: number): SandboxHandle {
    return { sessionId: sessionId ?? '', endpoint: { socketPath }, token, startedAt: new Date(), startupMs: performance.now() - started };
  }
}

/** The sandbox's signed egress credential, `<name>:<grant>` (the proxy URL's user and password). */
function egressCredential(proxy: LocalEgressProxy, spec: SandboxTemplate, name: string): string {
  const grant = { sessionId: name, workspaceId: spec.workspaceId, policy: spec.networking, expiresAt: Math.ceil(Date.now() / 1000) + EGRESS_CREDENTIAL_TTL_SECONDS };
  return `${encodeURIComponent(name)}:${signEgressGrant(grant, proxy.signingKey)}`;
}

/** A resident runner's egress settings: it bridges the proxy socket bound inside itself. */
function residentEgress(credential: string | undefined): RunnerEnvironment {
  if (credential === undefined) return {};
  return { STRATUS_RUNNER_EGRESS_SOCKET: SANDBOX_PATHS.egressSocket, STRATUS_RUNNER_EGRESS_CREDENTIAL: credential };
}

/** The host pid at the bottom of a single chain of children (bwrap → its init → the command). */
function innermostChild(pid: number): number {
  for (let current = pid; ; ) {
    const children = readFileSync(`/proc/${current}/task/${current}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    if (children.length === 0) return current;
    current = Number(children[0]);
  }
}

/** Whether other users may pass through every directory above `target` (and `target` itself, a directory to enter). */
async function traversable(target: string): Promise<boolean> {
  for (let current = target; ; current = path.dirname(current)) {
    const stats = await stat(current).catch(() => undefined);
    if (stats === undefined || (stats.isDirectory() && (stats.mode & 0o001) === 0)) return false;
    if (path.dirname(current) === current) return true;
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
