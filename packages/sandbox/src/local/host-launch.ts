import { writeFileSync } from 'node:fs';
import { CLOSE_INHERITED_FDS } from './inherited-fds';

/** rlimits bubblewrap and everything in the sandbox inherit: the floor that holds with or without cgroups. */
export interface SandboxRlimits {
  /** RLIMIT_FSIZE: no single file written may grow past this (the workspace disk limit). */
  fileBytes: number;
  /** RLIMIT_NPROC, only when the sandbox has a host uid of its own (the count is per host uid). */
  processes?: number;
  openFiles: number;
}

/** Resource numbers of prlimit64, the same on every Linux architecture Node runs on. */
const RLIMIT = { fsize: 1, core: 4, nproc: 6, nofile: 7 } as const;

/** The rlimits as (resource number, value) pairs, soft = hard: no core dumps, then the sandbox's. */
export function rlimitValues(rlimits: SandboxRlimits): Array<[number, number]> {
  return [
    [RLIMIT.core, 0],
    [RLIMIT.fsize, rlimits.fileBytes],
    [RLIMIT.nofile, rlimits.openFiles],
    ...(rlimits.processes !== undefined ? [[RLIMIT.nproc, rlimits.processes] as [number, number]] : []),
  ];
}

export interface HostLaunch {
  /** cgroup.procs files bubblewrap's pid is written to before it reads its arguments. */
  cgroupProcsFiles: readonly string[];
  rlimits: SandboxRlimits;
  /** Start bubblewrap as this host uid/gid (the worker runs as root); undefined keeps the worker's own. */
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
 * What the worker spawns in front of bubblewrap: perl closing every descriptor the worker inherited
 * but the launch's own (Node cannot close them in a child it spawns, and bubblewrap passes whatever
 * it is not told about on to the sandbox), then exec'ing bubblewrap in the same process: the cgroups
 * and rlimits the worker gives that pid hold across the exec, whether they land on perl or bubblewrap.
 * No program of the host's could replace it: neither bubblewrap, setpriv nor prlimit closes them.
 * Arguments: the first descriptor to close, then bubblewrap's command line.
 */
const CLOSE_THEN_EXEC = `${CLOSE_INHERITED_FDS}
close_inherited_fds(shift @ARGV);
exec { $ARGV[0] } @ARGV or do { print STDERR "exec $ARGV[0]: $!\\n"; exit 127 };`;

/** How the worker starts bubblewrap: perl's CLOSE_THEN_EXEC, then bubblewrap in the same process. */
export interface HostSpawn {
  command: string;
  args: string[];
  /** The uid and gid it is spawned as (Node sets them, and drops supplementary groups, before the exec). */
  uid?: number;
  gid?: number;
  /**
   * Run once the process exists and before its fd-3 arguments are written: bubblewrap reads them
   * before it forks anything (nothing of the sandbox exists until they are in), so what this does
   * holds for every process of the sandbox.
   */
  beforeArguments(pid: number): Promise<void>;
}

/**
 * bubblewrap spawned by the worker through CLOSE_THEN_EXEC, reading its arguments from fd 3 (so the
 * token and the session's variables never appear in a host command line). While it waits for them the worker
 * writes its pid into the sandbox's cgroups and has `setRlimits` (the resident host helper) set its
 * rlimits: what a shell, `prlimit` and `setpriv` in front of it did in three execs, each tens of
 * milliseconds on a busy machine. The uid switch is the spawn's own (setgid, setgroups(0), setuid
 * in the child, before the exec); no_new_privs and empty capability sets are bubblewrap's own (it
 * sets no_new_privs before it forks, and empties the sets of itself and of the sandbox's processes;
 * the isolation tests check every process of a new sandbox for both).
 */
export function hostLaunch(launch: HostLaunch, setRlimits: (pid: number, rlimits: Array<[number, number]>) => Promise<void>): HostSpawn {
  return {
    command: '/usr/bin/perl',
    args: ['-e', CLOSE_THEN_EXEC, '--', String(launch.keepFds), launch.bwrapPath, '--args', String(BWRAP_ARGS_FD), ...launch.bwrapArgs, '--', ...launch.command],
    ...(launch.hostUid !== undefined ? { uid: launch.hostUid, gid: launch.hostUid } : {}),
    beforeArguments: async (pid) => {
      // Synchronous: one small write each, cheaper than a thread-pool round trip on a busy machine.
      for (const file of launch.cgroupProcsFiles) writeFileSync(file, String(pid));
      await setRlimits(pid, rlimitValues(launch.rlimits));
    },
  };
}
