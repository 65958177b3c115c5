import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CommandGroups, PROCESS_LIMIT_NOTE, shellQuote, superviseCommand, type ExecRequest, type ExecResult } from '@stratus/sandbox-protocol';
import type { z } from 'zod';

/** Starts of bash retried after the process limit was hit and leftover jobs were killed. */
const SPAWN_ATTEMPTS = 3;

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

/**
 * Runs shell commands one bash process per call, each in its own process group so a timeout or a
 * cancelled request kills the command and everything it started at once. The working directory
 * carries over between calls: bash reports its final `pwd` through an EXIT trap.
 */
export class ExecTool {
  private cwd: string;
  private readonly stateDir: string;
  /** A signal to the runner does not reach its commands' background jobs, so shutdown kills them by group. */
  private readonly groups = new CommandGroups();
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
    try {
      const outcome = await superviseCommand(child, {
        maxOutputBytes: request.max_output_bytes,
        timeoutMs: Math.min(request.timeout_ms, this.options.maxCommandMs ?? Infinity),
        signal,
        groups: this.groups,
        memoryLimit: this.options.memoryLimit,
      });
      return { ...outcome, stderr: note + outcome.stderr, duration_ms: Math.round(performance.now() - started) };
    } finally {
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
      if (outcome === undefined) return { child, note: attempt === 0 ? '' : PROCESS_LIMIT_NOTE };
      if (outcome.code !== 'EAGAIN' || attempt >= SPAWN_ATTEMPTS) throw outcome;
      await this.groups.killAndWait();
    }
  }

  /** Kills every process group this tool started that may still be running (runner shutdown). */
  killAll(): void {
    this.groups.killAll();
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
