import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { ExecRequest, HeadTailBuffer, splitBudget, type ExecResult } from '@stratus/sandbox-protocol';
import { RunnerError, RunnerUnavailableError } from '../runner-client';

/**
 * How long to wait for stdout/stderr to close after the command's shell exits. A background job it
 * started (`server &`) inherits the pipes and would hold them open forever; after this grace the
 * call returns and the job keeps running in the sandbox.
 */
const PIPE_DRAIN_GRACE_MS = 100;
/** Entries retried after the process limit was hit and leftover jobs were killed. */
const ENTRY_ATTEMPTS = 3;
/** How long to wait for killed process groups to be reaped before retrying. */
const GROUP_EXIT_WAIT_MS = 5000;
/** What a fork or exec refused for the process limit (pids cgroup, RLIMIT_NPROC) prints. */
const PROCESS_LIMIT_ERROR = /Resource temporarily unavailable/;
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The bash that runs inside the sandbox: it reads its script (the variables, the directory, the
 * command) from fd 3 up to a NUL, so none of it is on a host command line or in the environment of
 * the host programs that enter the sandbox. `exec` variant: a `.` on fd 4 says it got this far.
 */
export const SCRIPT_FROM_FD3 = 'IFS= read -r -d "" s <&3; exec 3<&-; eval "$s"';
const EXEC_BOOTSTRAP = `printf . >&4; ${SCRIPT_FROM_FD3}`;

/** Single quotes for bash, safe for any text. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** `export NAME='value'` lines; names a shell cannot hold are left out. */
export function exportLines(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .filter(([name]) => SHELL_NAME.test(name))
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

export interface NamespaceExecOptions {
  /** The host command that runs `command` inside the sandbox (see enterCommand). */
  enter(command: readonly string[]): { command: string; args: string[] };
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

type EnteredChild = ChildProcess & { stdout: Readable; stderr: Readable };

/**
 * Runs the commands of one local sandbox from the worker: each a bash entering the namespaces the
 * sandbox's init holds (no process of Stratus stays in the sandbox between calls), in a process
 * group of its own so a timeout or a cancelled call kills the command and what it started at once.
 * What a command leaves running in the background stays in the sandbox, reparented to its init.
 * The working directory carries over between calls: bash reports its final `pwd` on fd 4.
 */
export class NamespaceExec {
  private cwd: string;
  /** Process groups that may still have members (background jobs), killed when the process limit is reached. */
  private readonly groups = new Set<number>();

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
        const note = attempt === 0 ? '' : "[stratus: the sandbox's process limit was reached; processes earlier commands left running were killed]\n";
        const { result } = outcome;
        return { ...result, stderr: note + result.stderr, duration_ms: Math.round(performance.now() - started) };
      }
      if (!this.options.alive()) throw new RunnerUnavailableError('the sandbox has stopped');
      if (!PROCESS_LIMIT_ERROR.test(outcome.stderr) || attempt >= ENTRY_ATTEMPTS) {
        throw new RunnerUnavailableError(`could not enter the sandbox: ${outcome.stderr.trim() || 'no error output'}`);
      }
      await this.killLeftovers();
    }
  }

  /** Kills every process group a command of this sandbox started that may still be running. */
  killAll(): void {
    for (const pgid of this.groups) killGroup(pgid);
    this.groups.clear();
  }

  private async attempt(
    script: string,
    maxOutputBytes: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<{ entered: true; result: ExecResult } | { entered: false; stderr: string }> {
    const { command, args } = this.options.enter(['/bin/bash', '--noprofile', '--norc', '-c', EXEC_BOOTSTRAP]);
    // Nothing of the session reaches the host programs' environment; the script brings it inside.
    const child = spawn(command, args, { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] }) as EnteredChild;
    const scriptPipe = child.stdio[3] as Writable;
    scriptPipe.on('error', () => undefined); // the entry failed before reading; reported below
    scriptPipe.end(`${script}\0`);
    const status = child.stdio[4] as Readable;
    let statusText = '';
    status.setEncoding('utf8').on('data', (chunk: string) => (statusText = (statusText + chunk).slice(-8192)));

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
    if (child.pid !== undefined) this.groups.add(child.pid);

    const closed = once(child, 'close').catch(() => undefined);
    try {
      const [code, killedBy] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((resolve) => (grace = setTimeout(resolve, PIPE_DRAIN_GRACE_MS)))]);
      clearTimeout(grace);
      for (const stream of [child.stdout, child.stderr, status]) stream.destroy();
      if (!statusText.startsWith('.') && !timedOut && !signal?.aborted) {
        return { entered: false, stderr: output.stderr.render(keep) };
      }
      this.adoptFinalDirectory(statusText.slice(1));
      const exitCode = code ?? 128 + (killedBy ? constants.signals[killedBy] : 0);
      const shown = splitBudget(maxOutputBytes, output.stdout.total, output.stderr.total);
      const stderr = output.stderr.render(shown.stderr);
      return {
        entered: true,
        result: {
          exit_code: exitCode,
          stdout: output.stdout.render(shown.stdout),
          stderr: timedOut || signal?.aborted ? stderr : stderr + this.killNote(exitCode),
          timed_out: timedOut,
          truncated: output.stdout.total > shown.stdout || output.stderr.total > shown.stderr,
          duration_ms: 0,
          stdout_bytes: output.stdout.total,
          stderr_bytes: output.stderr.total,
        },
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      if (child.pid !== undefined && !groupAlive(child.pid)) this.groups.delete(child.pid);
    }
  }

  /**
   * Why a command died, for the model: a SIGKILL nobody sent is, in a sandbox with a memory cgroup,
   * the kernel's out-of-memory killer (bash reports 137 for a child killed so).
   */
  private killNote(exitCode: number): string {
    if (exitCode !== 137) return '';
    const limit = this.options.memoryLimit === undefined ? '' : ` (${this.options.memoryLimit})`;
    return `\n[stratus: a process was killed with SIGKILL; most likely it exceeded the sandbox's memory limit${limit}]\n`;
  }

  /** The last line bash printed on fd 4 (absent when it was killed or replaced itself with `exec`). */
  private adoptFinalDirectory(reported: string): void {
    const dir = reported.split('\n').filter((line) => line.startsWith('/')).at(-1);
    if (dir !== undefined) this.cwd = dir;
  }

  /** Kills the process groups earlier commands left (a fork bomb, a runaway pool) and waits for them to go. */
  private async killLeftovers(): Promise<void> {
    const groups = [...this.groups];
    this.killAll();
    const deadline = Date.now() + GROUP_EXIT_WAIT_MS;
    while (groups.some(groupAlive) && Date.now() < deadline) {
      for (const pgid of groups) killGroup(pgid);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
