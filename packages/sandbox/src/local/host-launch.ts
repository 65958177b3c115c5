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

/**
 * Joins the cgroups (writing `$$` before exec, so bwrap and all its descendants start inside them:
 * moving a pid from outside after spawn would race with bwrap's first fork), then sets the
 * rlimits, drops to the sandbox's host uid and execs bubblewrap, which reads its arguments from
 * fd 3 (so the token and the session's variables never appear in a host command line).
 */
export function hostLaunchCommand(launch: HostLaunch): { command: string; args: string[] } {
  const joinCgroups = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"';
  const { rlimits } = launch;
  const prlimit = [
    'prlimit',
    '--core=0',
    `--fsize=${rlimits.fileBytes}`,
    `--nofile=${rlimits.openFiles}`,
    ...(rlimits.processes !== undefined ? [`--nproc=${rlimits.processes}`] : []),
    '--',
  ];
  const setpriv =
    launch.hostUid === undefined
      ? []
      : ['setpriv', `--reuid=${launch.hostUid}`, `--regid=${launch.hostUid}`, '--clear-groups', '--inh-caps=-all', '--no-new-privs', '--'];
  return {
    command: '/bin/sh',
    args: ['-c', joinCgroups, 'sh', String(launch.cgroupProcsFiles.length), ...launch.cgroupProcsFiles, ...prlimit, ...setpriv, launch.bwrapPath, '--args', '3', ...launch.bwrapArgs, '--', ...launch.command],
  };
}
