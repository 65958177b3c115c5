import { accessSync, constants, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** The first executable called `name` on a PATH-style list, or undefined. */
export function findExecutable(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Where things sit inside every local sandbox: neutral paths that say nothing about the host. */
export const SANDBOX_PATHS = {
  workspace: '/workspace',
  /** The runner's socket directory (bound from the sandbox's run directory on the host). */
  run: '/opt/stratus/run',
  /** The runner's code and its dependencies, read-only. */
  runner: '/opt/stratus/runner',
  node: '/opt/stratus/bin/node',
  /** The worker's egress proxy socket, for networking types that allow traffic. */
  egressSocket: '/opt/stratus/egress.sock',
} as const;

/** The uid and gid commands run as inside the sandbox (mapped to an unprivileged host uid). */
export const SANDBOX_UID = 1000;

/** System directories bound read-only (or recreated as the same symlink on merged-/usr systems). */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The /etc entries programs need: TLS roots, name service and loader configuration, time zone,
 * alternatives (Debian's /usr/bin symlinks point into it). Not passwd/group (generated per sandbox),
 * not shadow, not the host's hostname, machine-id or any service configuration.
 */
const ETC_ENTRIES = [
  'alternatives',
  'bash.bashrc',
  'ca-certificates',
  'ca-certificates.conf',
  'crypto-policies',
  'gai.conf',
  'host.conf',
  'hosts',
  'inputrc',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'mime.types',
  'nsswitch.conf',
  'pki',
  'profile',
  'protocols',
  'resolv.conf',
  'services',
  // Certificates and OpenSSL's configuration, not ssl/private (host keys, root-only).
  'ssl/certs',
  'ssl/openssl.cnf',
  'terminfo',
  'timezone',
];

type HostEntry = { kind: 'dir'; path: string } | { kind: 'symlink'; path: string; target: string };

/** What each system path is on this host, read once: bwrap refuses to bind paths that do not exist. */
export function systemEntries(): HostEntry[] {
  const entries: HostEntry[] = [];
  for (const candidate of [...SYSTEM_DIRS, ...ETC_ENTRIES.map((name) => `/etc/${name}`)]) {
    try {
      const stat = lstatSync(candidate);
      entries.push(stat.isSymbolicLink() ? { kind: 'symlink', path: candidate, target: readlinkSync(candidate) } : { kind: 'dir', path: candidate });
    } catch {
      // not on this host
    }
  }
  return entries;
}

export interface BwrapSandbox {
  /** The session's workspace on the host: the one writable directory that persists. */
  workspaceDir: string;
  /** Holds the runner's Unix socket; writable so the runner can create it, visible to the worker. */
  runDir: string;
  /** Generated passwd and group files naming the sandbox user. */
  passwdFile: string;
  groupFile: string;
  /** The Node.js binary (real path) and the runner's code directories (real paths) with their common root. */
  nodePath: string;
  runnerCode: { root: string; paths: readonly string[] };
  /** The host socket of the worker's egress proxy; absent for networking "none" or without a proxy. */
  egressSocket?: string;
  /** The fd bubblewrap reads the seccomp filter (a compiled BPF program) from; none without. */
  seccompFd?: number;
  /** Size cap of the private /tmp. */
  tmpBytes: number;
  /** Variables the runner starts with; bwrap itself starts from an empty environment. */
  env: Readonly<Record<string, string>>;
  system: readonly HostEntry[];
}

/** The runner's code path as seen inside: the same layout below a neutral root, so pnpm's relative symlinks resolve. */
export function runnerPathInside(runnerCode: BwrapSandbox['runnerCode'], hostPath: string): string {
  return path.join(SANDBOX_PATHS.runner, path.relative(runnerCode.root, hostPath));
}

/**
 * bubblewrap arguments for one sandbox: those read from fd 3 (the environment, hence the token and
 * the session's variables, stay out of every host command line) and those that follow on the
 * command line. Every namespace is new (user, PID, IPC, UTS, cgroup and
 * network, whatever the networking type: egress only through the proxy socket); no capabilities;
 * commands run as uid 1000 and cannot create user namespaces; the root is an empty tmpfs holding
 * only an allow-list of system paths read-only, the workspace (read-write, at /workspace), a
 * size-capped private /tmp, the runner's code and Node.js read-only under /opt/stratus, and the run
 * directory with the runner's socket. The environment is cleared and only `env` is set, so nothing
 * the host has (or a session asks for) reaches the programs bwrap runs before the sandbox exists.
 */
export function bwrapArgs(sandbox: BwrapSandbox): { fromFd: string[]; onCommandLine: string[] } {
  const system = sandbox.system.flatMap((entry) =>
    entry.kind === 'symlink' ? ['--symlink', entry.target, entry.path] : ['--ro-bind', entry.path, entry.path],
  );
  const fromFd = [
    '--unshare-all',
    '--unshare-user',
    '--uid', String(SANDBOX_UID),
    '--gid', String(SANDBOX_UID),
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
    '--hostname', 'sandbox',
    '--clearenv',
    ...(sandbox.seccompFd !== undefined ? ['--seccomp', String(sandbox.seccompFd)] : []),
    ...Object.entries(sandbox.env).flatMap(([name, value]) => ['--setenv', name, value]),
    ...system,
    '--ro-bind', sandbox.passwdFile, '/etc/passwd',
    '--ro-bind', sandbox.groupFile, '/etc/group',
    '--dev', '/dev',
    '--proc', '/proc',
    '--size', String(sandbox.tmpBytes), '--tmpfs', '/tmp',
    '--ro-bind', sandbox.nodePath, SANDBOX_PATHS.node,
    ...sandbox.runnerCode.paths.flatMap((p) => ['--ro-bind', p, runnerPathInside(sandbox.runnerCode, p)]),
    ...(sandbox.egressSocket !== undefined ? ['--bind', sandbox.egressSocket, SANDBOX_PATHS.egressSocket] : []),
    '--bind', sandbox.runDir, SANDBOX_PATHS.run,
  ];
  // Nothing secret, and in `ps` the host workspace names whose sandbox a bwrap process is.
  const onCommandLine = [
    '--bind', sandbox.workspaceDir, SANDBOX_PATHS.workspace,
    // The root tmpfs (/, /etc, /opt …) read-only once everything is mounted: writable stay /workspace and /tmp.
    '--remount-ro', '/',
    '--chdir', SANDBOX_PATHS.workspace,
  ];
  return { fromFd, onCommandLine };
}

/** The deepest directory containing every path (the checkout root for a monorepo's runner). */
export function commonRoot(paths: readonly string[]): string {
  const split = paths.map((p) => p.split(path.sep));
  const first = split[0] ?? [''];
  let length = 0;
  while (length < first.length && split.every((parts) => parts[length] === first[length])) length++;
  return first.slice(0, length).join(path.sep) || path.sep;
}
