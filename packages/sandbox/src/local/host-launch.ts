/** rlimits bubblewrap and everything in the sandbox inherit: the floor that holds with or without cgroups. */
export interface SandboxRlimits {
  /** RLIMIT_FSIZE: no single file written may grow past this (the workspace disk limit). */
  fileBytes: number;
  /** RLIMIT_NPROC, only when the sandbox has a host uid of its own (the count is per host uid). */
  processes?: number;
  openFiles: number;
}

export interface HostLaunch {
  /** cgroup.procs files the launching shell writes its own pid to before anything else runs. */
  cgroupProcsFiles: readonly string[];
  rlimits: SandboxRlimits;
  /** Switch to this host uid/gid (the worker runs as root); undefined keeps the worker's own. */
  hostUid?: number;
  bwrapPath: string;
  /** bwrap options after `--args 3`, visible in the host's process list. */
  bwrapArgs: readonly string[];
  /** What bwrap runs in the sandbox (bwrap takes the command from its own command line only, not from `--args`). */
  command: readonly string[];
}

/** The shell that writes its own pid to the cgroup.procs files named first, then execs the rest. */
const JOIN_CGROUPS = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"';

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

/** `/bin/sh` joining the cgroups (writing `$$` before exec, so everything it becomes starts inside them), then prlimit. */
function limitedShell(cgroupProcsFiles: readonly string[], rlimits: SandboxRlimits, rest: readonly string[]): { command: string; args: string[] } {
  return { command: '/bin/sh', args: ['-c', JOIN_CGROUPS, 'sh', String(cgroupProcsFiles.length), ...cgroupProcsFiles, ...prlimitArgs(rlimits), ...rest] };
}

/**
 * Joins the cgroups (moving a pid from outside after spawn would race with bwrap's first fork),
 * then sets the rlimits, drops to the sandbox's host uid and execs bubblewrap, which reads its
 * arguments from fd 3 (so the token and the session's variables never appear in a host command line).
 */
export function hostLaunchCommand(launch: HostLaunch): { command: string; args: string[] } {
  const setpriv =
    launch.hostUid === undefined
      ? []
      : ['setpriv', `--reuid=${launch.hostUid}`, `--regid=${launch.hostUid}`, '--clear-groups', '--inh-caps=-all', '--no-new-privs', '--'];
  return limitedShell(launch.cgroupProcsFiles, launch.rlimits, [...setpriv, launch.bwrapPath, '--args', '3', ...launch.bwrapArgs, '--', ...launch.command]);
}
