import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The built CLI, run as a user runs it. */
export const CLI = path.resolve(__dirname, '..', '..', 'dist', 'main.js');

export interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end, without a terminal (pipes), as a script would. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Finished {
  const result = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
const ANSI_ESCAPE = /\u001b\[[0-9;]*[A-Za-z]/g;

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A CLI process inside a pseudo-terminal (util-linux `script`): what it draws, and a way to type into it. */
export class TerminalSession {
  output = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    const command = [process.execPath, CLI, ...args].map(shellQuote).join(' ');
    // -e: exit with the child's code; -f: flush at once; -q: no banner; /dev/null: no typescript file.
    this.child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...env, COLUMNS: '120', LINES: '40' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Ends the process group if it is still running (a failed test's leftovers). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  /** Types into the terminal (`\u0003` is Ctrl-C). */
  type(text: string): void {
    this.child.stdin!.write(text);
  }

  /** The output without its escape sequences (colours, line erasing). */
  get plainOutput(): string {
    return this.output.replace(ANSI_ESCAPE, '');
  }

  /** Resolves once the screen shows `pattern` (escape sequences aside); fails if the process ends first. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.exited.then(() => (ended = true));
    while (!pattern.test(this.plainOutput)) {
      if (ended) throw new Error(`the CLI exited before showing ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`the CLI did not show ${pattern}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A CLI process without a terminal, read as it goes. */
export class PipedProcess {
  stdout = '';
  stderr = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.stdout)) {
      if (this.child.exitCode !== null) throw new Error(`the CLI exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`the CLI did not print ${pattern}:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
