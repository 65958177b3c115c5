import { readFileSync } from 'node:fs';

/**
 * A process as it can be recognised later, even by another process after a crash: its pid, the
 * tick it started at (pids are reused, start times of a pid are not) and the boot it ran in.
 */
export interface WorkerIdentity {
  pid: number;
  startTime: string;
  bootId: string;
}

/** This process. */
export function ownIdentity(): WorkerIdentity {
  return { pid: process.pid, startTime: startTimeOf(process.pid)!, bootId: bootId() };
}

/** Whether the process `identity` names is still running. */
export function isRunning(identity: WorkerIdentity): boolean {
  return identity.bootId === bootId() && startTimeOf(identity.pid) === identity.startTime;
}

function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces and parentheses). */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
