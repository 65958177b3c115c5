import { once, type EventEmitter } from 'node:events';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { HeadTailBuffer, splitBudget } from './output-buffer';
import type { ExecResult } from './runner-schemas';

/**
 * How long to wait for stdout/stderr to close after the command's shell exits. A background job it
 * started (`server &`) inherits the pipes and would hold them open forever; after this grace the
 * call returns and the job keeps running.
 */
const PIPE_DRAIN_GRACE_MS = 100;
/** How long to wait for killed process groups to be reaped before a command is started again. */
const GROUP_EXIT_WAIT_MS = 5000;

/** What the model is told when a command could only start after background jobs were killed. */
export const PROCESS_LIMIT_NOTE = "[stratus: the sandbox's process limit was reached; processes earlier commands left running were killed]\n";

/** Single quotes for bash, safe for any text. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The process groups of one sandbox's commands that may still have members (background jobs). Neither
 * a signal to their starter nor its exit reaches them, so they are killed by group: when the process
 * limit is used up and the next command needs pids, and when the sandbox (or the runner) goes.
 */
export class CommandGroups {
  private readonly groups = new Set<number>();

  add(pgid: number): void {
    this.groups.add(pgid);
  }

  /** Forgets a group once nothing of it is left. */
  settle(pgid: number): void {
    if (!groupAlive(pgid)) this.groups.delete(pgid);
  }

  killAll(): void {
    for (const pgid of this.groups) killGroup(pgid);
    this.groups.clear();
  }

  /** Kills every group and waits (bounded) until they are reaped, so their pids are free again. */
  async killAndWait(): Promise<void> {
    const groups = [...this.groups];
    this.killAll();
    const deadline = Date.now() + GROUP_EXIT_WAIT_MS;
    while (groups.some(groupAlive) && Date.now() < deadline) {
      for (const pgid of groups) killGroup(pgid);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export interface SuperviseOptions {
  maxOutputBytes: number;
  timeoutMs: number;
  /** Aborting it (the caller went away) kills the command's process group. */
  signal?: AbortSignal;
  /** Where the command's group is recorded while it may have members. */
  groups: CommandGroups;
  /** The sandbox's memory limit ("256Mi"), named in the result of a command the kernel killed. */
  memoryLimit?: string;
}

/** A command's result, but for its duration (which the caller measures from its own start). */
export type CommandOutcome = Omit<ExecResult, 'duration_ms'>;

/**
 * What superviseCommand needs of a command: a spawned ChildProcess, or a command some other process
 * started (the worker's entry server) that emits 'exit' (code, signal) and 'close' as one does.
 */
export interface CommandChild extends EventEmitter {
  /** The leader of the command's process group. */
  readonly pid?: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
}

/**
 * Sees a command through, the leader of a process group of its own (spawned `detached` by the
 * runner, or forked by the worker's entry server): its output through head-and-tail buffers within the
 * call's budget, its whole process group killed (SIGKILL) on timeout or abort, and its result once it
 * exited and its pipes closed, or a short grace after that when a background job holds them.
 */
export async function superviseCommand(child: CommandChild, options: SuperviseOptions): Promise<CommandOutcome> {
  const { maxOutputBytes, timeoutMs, signal, groups } = options;
  // Each stream keeps enough to show the whole budget alone, since either may turn out to need it.
  const keep = Math.ceil(maxOutputBytes / 2);
  const output = { stdout: new HeadTailBuffer(keep), stderr: new HeadTailBuffer(keep) };
  child.stdout.on('data', (chunk: Buffer) => output.stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.stderr.push(chunk));

  let timedOut = false;
  const kill = () => {
    if (child.pid !== undefined) killGroup(child.pid);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  signal?.addEventListener('abort', kill, { once: true });
  if (signal?.aborted) kill();
  if (child.pid !== undefined) groups.add(child.pid);

  // 'close' (all pipes closed) is normally the end; `exit` plus a short grace covers background jobs.
  const closed = once(child, 'close').catch(() => undefined);
  try {
    const [code, killedBy] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (grace = setTimeout(resolve, PIPE_DRAIN_GRACE_MS)))]);
    clearTimeout(grace);
    child.stdout.destroy();
    child.stderr.destroy();
    const exitCode = code ?? 128 + (killedBy ? constants.signals[killedBy] : 0);
    const shown = splitBudget(maxOutputBytes, output.stdout.total, output.stderr.total);
    const stderr = output.stderr.render(shown.stderr);
    return {
      exit_code: exitCode,
      stdout: output.stdout.render(shown.stdout),
      stderr: timedOut || signal?.aborted ? stderr : stderr + killNote(exitCode, options.memoryLimit),
      timed_out: timedOut,
      truncated: output.stdout.total > shown.stdout || output.stderr.total > shown.stderr,
      stdout_bytes: output.stdout.total,
      stderr_bytes: output.stderr.total,
    };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', kill);
    if (child.pid !== undefined) groups.settle(child.pid);
  }
}

/**
 * Why a command died, for the model: a SIGKILL nobody sent is, in a sandbox with a memory cgroup, the
 * kernel's out-of-memory killer (bash reports 137 for a child killed so).
 */
function killNote(exitCode: number, memoryLimit: string | undefined): string {
  if (exitCode !== 137) return '';
  const limit = memoryLimit === undefined ? '' : ` (${memoryLimit})`;
  return `\n[stratus: a process was killed with SIGKILL; most likely it exceeded the sandbox's memory limit${limit}]\n`;
}
