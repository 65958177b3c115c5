import { CommandGroups, ExecRequest, PROCESS_LIMIT_NOTE, shellQuote, superviseCommand, type CommandOutcome, type ExecResult } from '@stratus/sandbox-protocol';
import { RunnerError, RunnerUnavailableError } from '../runner-client';
import type { EnteredCommand } from './entry-server';

/** Entries retried after the process limit was hit and leftover jobs were killed. */
const ENTRY_ATTEMPTS = 3;
/** What a fork or exec refused for the process limit (pids cgroup, RLIMIT_NPROC) prints. */
const PROCESS_LIMIT_ERROR = /Resource temporarily unavailable/;
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The bash that runs inside the sandbox: it reads its script (the variables, the directory, the
 * command) from fd 3 up to a NUL, so none of it is on a host command line or in the environment of
 * the host programs that enter the sandbox. Used for the file tools' runner.
 */
export const SCRIPT_FROM_FD3 = 'IFS= read -r -d "" s <&3; exec 3<&-; eval "$s"';
/**
 * A command's bash: a `.` on fd 4 says it got this far, then it sources its script from fd 3 (a pipe
 * the entry server makes readable by the sandbox's uid), which closes fd 3 first thing so the command
 * does not inherit it. `source` reads the pipe in blocks where `read -d ""` read it a byte at a time,
 * a system call per byte through the seccomp filter: milliseconds for the few KiB of variables each
 * command starts with.
 */
const EXEC_BOOTSTRAP = 'printf . >&4; . /dev/fd/3';

/** `export NAME='value'` lines; names a shell cannot hold are left out. */
export function exportLines(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .filter(([name]) => SHELL_NAME.test(name))
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

export interface NamespaceExecOptions {
  /** Starts `command` inside the sandbox with `script` on its fd 3 (the worker's EntryServer). */
  start(command: readonly string[], script: string): Promise<EnteredCommand>;
  /** The directory commands start in the first time, inside. */
  workspaceDir: string;
  /** Variables every command starts with (the session's, the proxy's, HOME…), applied inside. */
  env: Readonly<Record<string, string>>;
  /** No command runs longer than this, whatever its request asks for. */
  maxCommandMs: number;
  /** The sandbox's memory limit ("256Mi"), named in the result of a command the kernel killed. */
  memoryLimit?: string;
  /** False once the sandbox's init is gone. */
  alive(): boolean;
}

/**
 * Runs the commands of one local sandbox from the worker: each a bash the worker's entry server
 * starts in the namespaces the sandbox's init holds (no process of Stratus stays in the sandbox
 * between calls), in a process group of its own so a timeout or a cancelled call kills the command
 * and what it started at once.
 * What a command leaves running in the background stays in the sandbox, reparented to its init.
 * The working directory carries over between calls: bash reports its final `pwd` on fd 4.
 */
export class NamespaceExec {
  private cwd: string;
  /** Process groups that may still have members (background jobs), killed when the process limit is reached. */
  private readonly groups = new CommandGroups();

  constructor(private readonly options: NamespaceExecOptions) {
    this.cwd = options.workspaceDir;
  }

  async run(body: ExecRequest, signal?: AbortSignal): Promise<ExecResult> {
    const parsed = ExecRequest.safeParse(body);
    if (!parsed.success) throw new RunnerError(400, 'invalid_request_error', parsed.error.message);
    const request = parsed.data;
    if (request.command.includes('\0')) throw new RunnerError(400, 'invalid_request_error', 'a command cannot contain a NUL byte');
    const started = performance.now();
    const script = [
      'exec 3<&-\n',
      exportLines(this.options.env),
      `cd -- ${shellQuote(this.cwd)} 2>/dev/null || cd -- ${shellQuote(this.options.workspaceDir)}\n`,
      "trap 'pwd >&4' EXIT\n",
      request.command,
    ].join('');
    const timeoutMs = Math.min(request.timeout_ms, this.options.maxCommandMs);
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(script, request.max_output_bytes, timeoutMs, signal);
      // As an aborted HTTP call does: the command was killed and the caller gets the abort, not a result.
      signal?.throwIfAborted();
      if (outcome.entered) {
        const { result } = outcome;
        const note = attempt === 0 ? '' : PROCESS_LIMIT_NOTE;
        return { ...result, stderr: note + result.stderr, duration_ms: Math.round(performance.now() - started) };
      }
      if (!this.options.alive()) throw new RunnerUnavailableError('the sandbox has stopped');
      if (!PROCESS_LIMIT_ERROR.test(outcome.stderr) || attempt >= ENTRY_ATTEMPTS) {
        throw new RunnerUnavailableError(`could not enter the sandbox: ${outcome.stderr.trim() || 'no error output'}`);
      }
      await this.groups.killAndWait();
    }
  }

  /** Kills every process group a command of this sandbox started that may still be running. */
  killAll(): void {
    this.groups.killAll();
  }

  private async attempt(
    script: string,
    maxOutputBytes: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<{ entered: true; result: CommandOutcome } | { entered: false; stderr: string }> {
    let child: EnteredCommand;
    try {
      child = await this.options.start(['/bin/bash', '--noprofile', '--norc', '-c', EXEC_BOOTSTRAP], script);
    } catch (error) {
      throw new RunnerUnavailableError(`could not enter the sandbox: ${(error as Error).message}`);
    }
    let statusText = '';
    child.status.setEncoding('utf8').on('data', (chunk: string) => (statusText = (statusText + chunk).slice(-8192)));
    try {
      const result = await superviseCommand(child, { maxOutputBytes, timeoutMs, signal, groups: this.groups, memoryLimit: this.options.memoryLimit });
      if (!statusText.startsWith('.') && !result.timed_out && !signal?.aborted) return { entered: false, stderr: result.stderr };
      this.adoptFinalDirectory(statusText.slice(1));
      return { entered: true, result };
    } finally {
      child.status.destroy();
    }
  }

  /** The last line bash printed on fd 4 (absent when it was killed or replaced itself with `exec`). */
  private adoptFinalDirectory(reported: string): void {
    const dir = reported.split('\n').filter((line) => line.startsWith('/')).at(-1);
    if (dir !== undefined) this.cwd = dir;
  }
}
