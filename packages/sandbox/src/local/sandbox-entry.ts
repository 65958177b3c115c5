import type { SandboxRlimits } from './host-launch';
import { CLOSE_INHERITED_FDS } from './inherited-fds';

/**
 * System call numbers the entry program makes by number (perl has no built-in for them), per
 * architecture (Node's `process.arch`). A worker on another architecture cannot enter sandboxes and
 * keeps the resident runner instead (see `canEnterSandboxes`).
 */
type EntrySyscalls = { setns: number; prlimit64: number; setgroups: number; setresuid: number; setresgid: number; prctl: number; sendmsg: number };
const SYSCALLS: Partial<Record<string, EntrySyscalls>> = {
  x64: { setns: 308, prlimit64: 302, setgroups: 116, setresuid: 117, setresgid: 119, prctl: 157, sendmsg: 46 },
  arm64: { setns: 268, prlimit64: 261, setgroups: 159, setresuid: 147, setresgid: 149, prctl: 167, sendmsg: 211 },
};

/** Resource numbers of prlimit64, the same on every Linux architecture Node runs on. */
const RLIMIT = { fsize: 1, core: 4, nproc: 6, nofile: 7 } as const;

/** Namespaces entered, in nsenter's order: the user namespace last (see below). */
const NAMESPACES = ['cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt', 'user'] as const;

/** Whether this worker's architecture has the system call numbers the entry needs. */
export function canEnterSandboxes(): boolean {
  return SYSCALLS[process.arch] !== undefined;
}

/**
 * The entry as perl subroutines, shared by the one-shot program below and the resident entry server
 * (entry-server.ts): what `sh` (cgroups) → `prlimit` → `setpriv` → `nsenter` → a seccomp loader did
 * in five execs, in the same order and with the same effect. `enter_sandbox` takes the arguments of
 * `entryArguments` (the init's pid, the uid inside, the seccomp program in hex ('' for none), the count
 * and paths of the cgroup.procs files, the count and `resource=value` rlimits, then the command) and
 * returns the uid, the filter and the command for `exec_as_sandbox_user`.
 *
 * 1. Join the sandbox's cgroups first (host paths, before the mount namespace changes), so the fork
 *    that follows and everything the command starts count against them.
 * 2. Set the rlimits (soft = hard) and drop supplementary groups while still host root.
 * 3. Open every namespace and the init's root and directory, then join them: all but the user
 *    namespace first (the host root's privilege over the outer namespaces bubblewrap made is needed
 *    for those, and `--disable-userns` put the init in a nested user namespace that grants none over
 *    them), then the user namespace, which empties the inheritable and ambient capability sets and
 *    grants capabilities only inside it; chroot to the init's root and enter its directory.
 * 4. The caller forks: joining a PID namespace takes effect for children only. The parent waits and
 *    exits as the child did (`exit_as`: or dies of the same signal), as nsenter does, so whoever
 *    watches it sees the command's status; both stay in the process group the worker kills on timeout.
 * 5. In the child (`exec_as_sandbox_user`): gid and uid inside (which clears the permitted and
 *    effective sets), no_new_privs, then the seccomp filter (last: it denies setns), and exec the
 *    command. The filter is loaded with prctl(PR_SET_SECCOMP = 22, SECCOMP_MODE_FILTER = 2,
 *    &sock_fprog), sock_fprog being { unsigned short len; 6 bytes of padding; struct sock_filter
 *    *filter }: `S x6 P` packs exactly that.
 *
 * Errors are one line on stderr; a fork or exec refused for the process limit says "Resource
 * temporarily unavailable", which NamespaceExec recognises to free pids and try again.
 */
export function entrySubroutines(sys: EntrySyscalls): string {
  return [
    'sub enter_sandbox {',
    '  my ($pid, $uid, $filter, $cgroups) = splice(@_, 0, 4);',
    `  for (splice(@_, 0, $cgroups)) { open(my $f, '>', $_) or die "cgroup $_: $!\\n"; syswrite($f, $$) or die "cgroup $_: $!\\n"; }`,
    '  my $limits = shift;',
    `  for (splice(@_, 0, $limits)) { my ($r, $v) = split /=/; syscall(${sys.prlimit64}, 0, 0 + $r, pack('QQ', $v, $v), 0) == 0 or die "rlimit $r: $!\\n"; }`,
    `  syscall(${sys.setgroups}, 0, 0) == 0 or die "setgroups: $!\\n";`,
    `  my @ns = map { sysopen(my $f, "/proc/$pid/ns/$_", 0) or die "$_: $!\\n"; [$_, $f] } qw(${NAMESPACES.join(' ')});`,
    `  opendir(my $root, "/proc/$pid/root") && opendir(my $wd, "/proc/$pid/cwd") or die "root: $!\\n";`,
    `  for (@ns) { syscall(${sys.setns}, fileno($_->[1]), 0) == 0 or die "setns $_->[0]: $!\\n"; }`,
    `  chdir($root) && chroot('.') && chdir($wd) or die "chroot: $!\\n";`,
    '  return ($uid, $filter, @_);',
    '}',
    'sub exec_as_sandbox_user {',
    '  my ($uid, $filter, @command) = @_;',
    `  syscall(${sys.setresgid}, 0 + $uid, 0 + $uid, 0 + $uid) == 0 && syscall(${sys.setresuid}, 0 + $uid, 0 + $uid, 0 + $uid) == 0 or die "setuid: $!\\n";`,
    `  syscall(${sys.prctl}, 38, 1, 0, 0, 0) == 0 or die "no_new_privs: $!\\n";`,
    `  if (length $filter) { my $p = pack('H*', $filter); syscall(${sys.prctl}, 22, 2, pack('S x6 P', length($p) / 8, $p)) == 0 or die "seccomp: $!\\n"; }`,
    '  exec { $command[0] } @command or die "exec $command[0]: $!\\n";',
    '}',
    'sub exit_as { my ($status) = @_; kill($status & 127, $$) if $status & 127; exit($status >> 8); }',
  ].join('\n');
}

/**
 * The one-shot entry: close what the worker inherited (keeping stdio and the script's pipe on fd 3),
 * enter, fork, the parent waits and exits as the command did, the child execs it.
 */
function entryProgram(sys: EntrySyscalls): string {
  return [
    CLOSE_INHERITED_FDS,
    'close_inherited_fds(4);',
    entrySubroutines(sys),
    'my @command = enter_sandbox(@ARGV);',
    'defined(my $child = fork) or die "fork: $!\\n";',
    'if ($child) { waitpid($child, 0); exit_as($?); }',
    'exec_as_sandbox_user(@command);',
  ].join('\n');
}

/** The system call numbers of this worker's architecture; throws on one without them. */
export function entrySyscalls(): EntrySyscalls {
  const sys = SYSCALLS[process.arch];
  if (sys === undefined) throw new Error(`no system call numbers known for ${process.arch}: sandboxes cannot be entered`);
  return sys;
}

export interface SandboxEntry {
  /** The sandbox's cgroup.procs files, joined before anything runs (as its init did). */
  cgroupProcsFiles: readonly string[];
  /** The same rlimits as its init. */
  rlimits: SandboxRlimits;
  /** Host pid of the sandbox's init: its namespaces, root and working directory are entered. */
  initPid: number;
  /** The uid and gid commands take inside (mapped to the sandbox's host uid). */
  uid: number;
  /** The compiled seccomp program the command loads (bubblewrap's filter binds only the init's descendants). */
  seccompFilter?: Buffer;
  /** What runs inside, resolved in the sandbox's root. */
  command: readonly string[];
}

/**
 * Runs a command inside a running sandbox, as if its init had started it: in its cgroups, under its
 * rlimits, in every one of its namespaces (user, mount, PID, network, IPC, UTS, cgroup), chrooted to
 * its root, as its unprivileged uid, without supplementary groups, with no_new_privs and its seccomp
 * filter. One perl (in every Debian base as perl-base; the worker needs it on the host) does it all
 * and execs the command: two program starts where the shell, prlimit, setpriv, nsenter and a seccomp
 * loader took six. This one-shot program starts the file tools' runner (a long-lived process, see
 * OnDemandRunner); commands go through the resident entry server (entry-server.ts), which runs the
 * same subroutines in a fork. It runs as the (root) worker until it has entered: only a process
 * privileged on the host can join the namespaces (see entryProgram), and the uid switch plus the exec
 * of a non-root program leave the command no capability, no_new_privs keeping file capabilities and
 * setuid bits from granting any back.
 */
export function enterCommand(entry: SandboxEntry): { command: string; args: string[] } {
  return { command: '/usr/bin/perl', args: ['-e', entryProgram(entrySyscalls()), '--', ...entryArguments(entry)] };
}

/** The arguments of `enter_sandbox`, then the command (see entrySubroutines). */
export function entryArguments(entry: SandboxEntry): string[] {
  const { rlimits } = entry;
  const limits = [
    `${RLIMIT.core}=0`,
    `${RLIMIT.fsize}=${rlimits.fileBytes}`,
    `${RLIMIT.nofile}=${rlimits.openFiles}`,
    ...(rlimits.processes !== undefined ? [`${RLIMIT.nproc}=${rlimits.processes}`] : []),
  ];
  return [
    String(entry.initPid),
    String(entry.uid),
    entry.seccompFilter?.toString('hex') ?? '',
    String(entry.cgroupProcsFiles.length),
    ...entry.cgroupProcsFiles,
    String(limits.length),
    ...limits,
    ...entry.command,
  ];
}
