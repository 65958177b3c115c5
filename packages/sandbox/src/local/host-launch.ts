import { CLOSE_INHERITED_FDS } from './inherited-fds';

/** rlimits bubblewrap and everything in the sandbox inherit: the floor that holds with or without cgroups. */
export interface SandboxRlimits {
  /** RLIMIT_FSIZE: no single file written may grow past this (the workspace disk limit). */
  fileBytes: number;
  /** RLIMIT_NPROC, only when the sandbox has a host uid of its own (the count is per host uid). */
  processes?: number;
  openFiles: number;
}

export interface HostLaunch {
  /** cgroup.procs files the launch's first program writes its own pid to before anything else runs. */
  cgroupProcsFiles: readonly string[];
  rlimits: SandboxRlimits;
  /** Switch to this host uid/gid (the worker runs as root); undefined keeps the worker's own. */
  hostUid?: number;
  bwrapPath: string;
  /** bwrap options after `--args 3`, visible in the host's process list. */
  bwrapArgs: readonly string[];
  /** What bwrap runs in the sandbox (bwrap takes the command from its own command line only, not from `--args`). */
  command: readonly string[];
  /** Descriptors below this are the launch's own (stdio, bwrap's `--args` and `--seccomp`); every other is closed before bwrap. */
  keepFds: number;
}

/** The descriptor bubblewrap reads its arguments from. */
export const BWRAP_ARGS_FD = 3;

/**
 * The program that closes every descriptor the worker inherited but those it is told to keep (bubblewrap
 * passes whatever it is not told about on to the sandbox), writes its own pid to the cgroup.procs files
 * named next, then execs the rest. perl rather than /bin/sh: dash cannot name a descriptor above 9.
 */
const JOIN_CGROUPS = `${CLOSE_INHERITED_FDS}
my ($keep, $n) = splice(@ARGV, 0, 2);
close_inherited_fds($keep);
for (splice(@ARGV, 0, $n)) { my $f; open($f, ">", $_) && syswrite($f, $$) or do { print STDERR "cgroup $_: $!\\n"; exit 125 }; }
exec { $ARGV[0] } @ARGV or do { print STDERR "exec $ARGV[0]: $!\n"; exit 127 };`;

function prlimitArgs(rlimits: SandboxRlimits): string[] {
  return [
    'prlimit',
    '--core=0',
    `--fsize=${rlimits.fileBytes}`,
    `--nofile=${rlimits.openFiles}`,
    ...(rlimits.processes !== undefined ? [`--nproc=${rlimits.processes}`] : []),
    '--',
  ];
}

/** JOIN_CGROUPS (writing its pid before exec, so everything it becomes starts inside them), then prlimit. */
function limitedLaunch(launch: HostLaunch, rest: readonly string[]): { command: string; args: string[] } {
  const { cgroupProcsFiles, rlimits, keepFds } = launch;
  return { command: '/usr/bin/perl', args: ['-e', JOIN_CGROUPS, '--', String(keepFds), String(cgroupProcsFiles.length), ...cgroupProcsFiles, ...prlimitArgs(rlimits), ...rest] };
}

/**
 * Closes the descriptors the worker inherited, joins the cgroups (moving a pid from outside after
 * spawn would race with bwrap's first fork), then sets the rlimits, drops to the sandbox's host uid and execs bubblewrap, which reads its
 * arguments from fd 3 (so the token and the session's variables never appear in a host command line).
 */
export function hostLaunchCommand(launch: HostLaunch): { command: string; args: string[] } {
  const setpriv =
    launch.hostUid === undefined
      ? []
      : ['setpriv', `--reuid=${launch.hostUid}`, `--regid=${launch.hostUid}`, '--clear-groups', '--inh-caps=-all', '--no-new-privs', '--'];
  return limitedLaunch(launch, [...setpriv, launch.bwrapPath, '--args', String(BWRAP_ARGS_FD), ...launch.bwrapArgs, '--', ...launch.command]);
}
