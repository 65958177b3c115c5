import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { HeadTailBuffer, splitBudget, type ExecRequest, type ExecResult } from '@stratus/sandbox-protocol';
import type { z } from 'zod';

/**
 * How long to wait for stdout/stderr to close after bash exits. A background job the command started
 * (`server &`) inherits the pipes and would hold them open forever; after this grace the call returns
 * and the job keeps running.
 */
const PIPE_DRAIN_GRACE_MS = 100;
/** Starts of bash retried after the process limit was hit and leftover jobs were killed. */
const SPAWN_ATTEMPTS = 3;
/** How long to wait for killed process groups to be reaped before retrying a start. */
const GROUP_EXIT_WAIT_MS = 5000;

export interface ExecToolOptions {
  workspaceDir: string;
  homeDir: string;
  /** The environment every command starts with (the runner's own, minus its secrets). */
  env: NodeJS.ProcessEnv;
  /** No command runs longer than this, whatever its request asks for. */
  maxCommandMs?: number;
  /** The sandbox's memory limit ("256Mi"), named in the result of a command the kernel killed. */
  memoryLimit?: string;
}

/** Single quotes for bash, safe for any path. */
function shellQuote(text: string): string {
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
 * Runs shell commands one bash process per call, each in its own process group so a timeout or a
 * cancelled request kills the command and everything it started at once. The working directory
 * carries over between calls: bash reports its final `pwd` through an EXIT trap.
 */
export class ExecTool {
  private cwd: string;
  private readonly stateDir: string;
  /**
   * Process groups that may still have members (background jobs). A signal to the runner does not
   * reach them, so shutdown kills them by group.
   */
  private readonly groups = new Set<number>();
  private sequence = 0;

  constructor(private readonly options: ExecToolOptions) {
    this.cwd = options.workspaceDir;
    this.stateDir = mkdtempSync(path.join(tmpdir(), 'stratus-exec-'));
  }

  /** Runs one command; `signal` aborting (the HTTP client went away) kills its process group. */
  async run(request: z.output<typeof ExecRequest>, signal: AbortSignal): Promise<ExecResult> {
    const cwdFile = path.join(this.stateDir, `cwd-${++this.sequence}`);
    // `-c` keeps the command's own semantics; the trap line only records where it ended up.
    const script = `trap 'pwd >| ${shellQuote(cwdFile)}' EXIT\n${request.command}`;
    const started = performance.now();
    const { child, note } = await this.spawnBash(script);

    // Each stream keeps enough to show the whole budget alone, since either may turn out to need it.
    const keep = Math.ceil(request.max_output_bytes / 2);
    const output = { stdout: new HeadTailBuffer(keep), stderr: new HeadTailBuffer(keep) };
    child.stdout.on('data', (chunk: Buffer) => output.stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.stderr.push(chunk));

    let timedOut = false;
    const timeoutMs = Math.min(request.timeout_ms, this.options.maxCommandMs ?? Infinity);
    const kill = () => {
      if (child.pid !== undefined) killGroup(child.pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    signal.addEventListener('abort', kill, { once: true });
    if (signal.aborted) kill();
    if (child.pid !== undefined) this.groups.add(child.pid);

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
      const shown = splitBudget(request.max_output_bytes, output.stdout.total, output.stderr.total);
      const stderr = output.stderr.render(shown.stderr);
      return {
        exit_code: exitCode,
        stdout: output.stdout.render(shown.stdout),
        stderr: note + (timedOut || signal.aborted ? stderr : stderr + this.killNote(exitCode)),
        timed_out: timedOut,
        truncated: output.stdout.total > shown.stdout || output.stderr.total > shown.stderr,
        duration_ms: Math.round(performance.now() - started),
        stdout_bytes: output.stdout.total,
        stderr_bytes: output.stderr.total,
      };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      if (child.pid !== undefined && !groupAlive(child.pid)) this.groups.delete(child.pid);
      await this.adoptFinalDirectory(cwdFile);
    }
  }

  /**
   * Starts bash for a command. When the sandbox's process limit is used up (EAGAIN) by what earlier
   * commands left running in the background (a fork bomb, a runaway server pool), those process
   * groups are killed and the start retried, so one command cannot leave the session unable to run
   * anything; `note` tells the model what happened.
   */
  private async spawnBash(script: string): Promise<{ child: ChildProcessByStdio<null, Readable, Readable>; note: string }> {
    for (let attempt = 0; ; attempt++) {
      const child = spawn('bash', ['--noprofile', '--norc', '-c', script], {
        cwd: this.startingDirectory(),
        env: { ...this.options.env, HOME: this.options.homeDir },
        detached: true, // setsid: the command gets its own process group
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // once() rejects with the 'error' (EAGAIN, ENOENT…) emitted instead of 'spawn'.
      const outcome = await once(child, 'spawn').then(
        () => undefined,
        (error: NodeJS.ErrnoException) => error,
      );
      if (outcome === undefined) {
        const note = attempt === 0 ? '' : "[stratus: the sandbox's process limit was reached; processes earlier commands left running were killed]\n";
        return { child, note };
      }
      if (outcome.code !== 'EAGAIN' || attempt >= SPAWN_ATTEMPTS) throw outcome;
      const groups = [...this.groups];
      this.groups.clear();
      for (const pgid of groups) killGroup(pgid);
      // Killed processes free their pids once reaped: wait for the groups to be gone (bounded).
      const deadline = Date.now() + GROUP_EXIT_WAIT_MS;
      while (groups.some(groupAlive) && Date.now() < deadline) {
        for (const pgid of groups) killGroup(pgid);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  /**
   * Why a command died, for the model: a SIGKILL the runner did not send is, in a sandbox with a
   * memory cgroup, the kernel's out-of-memory killer (bash reports 137 for a child killed so).
   */
  private killNote(exitCode: number): string {
    if (exitCode !== 137) return '';
    const limit = this.options.memoryLimit === undefined ? '' : ` (${this.options.memoryLimit})`;
    return `\n[stratus: a process was killed with SIGKILL; most likely it exceeded the sandbox's memory limit${limit}]\n`;
  }

  /** Kills every process group this tool started that may still be running (runner shutdown). */
  killAll(): void {
    for (const pgid of this.groups) killGroup(pgid);
    this.groups.clear();
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  /** The remembered directory, or the workspace root when a command has since removed it. */
  private startingDirectory(): string {
    try {
      if (statSync(this.cwd).isDirectory()) return this.cwd;
    } catch {
      // fall through
    }
    this.cwd = this.options.workspaceDir;
    return this.cwd;
  }

  private async adoptFinalDirectory(cwdFile: string): Promise<void> {
    // Absent when bash was killed or replaced itself with `exec`; the directory then stays as it was.
    const recorded = await readFile(cwdFile, 'utf8').catch(() => '');
    await rm(cwdFile, { force: true });
    const dir = recorded.replace(/\n$/, '');
    if (dir.startsWith('/')) this.cwd = dir;
  }
}
