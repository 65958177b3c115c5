import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';
import type { SandboxSpec } from '../src';

/** A LocalSandboxProvider in a process of its own (test/provider-process.ts). */
export interface ProviderProcess {
  pid: number;
  /** The next JSON line it prints that has `key`. */
  next<T>(key: string): Promise<T>;
  kill(): Promise<void>;
}

export interface ProviderProcessOptions {
  baseDir: string;
  owner: string;
  diskLimitBytes: number;
  spareWorkspaces: number;
  session?: SandboxSpec;
  /** Started once the session is provisioned, never waited for. */
  command?: string;
  /** Run one after another once the session is provisioned (after a file tool call, so its runner is up); each result printed as `{ probe }`. */
  probes?: string[];
  /** Descriptors of this process the provider process inherits, by their number there (without close-on-exec, as any inherited descriptor). */
  inherit?: Record<number, number>;
}

/**
 * Runs test/provider-process.ts from its source, as jest runs the tests: swc strips the types, and
 * workspace packages resolve to their sources (`--conditions=@stratus/source`).
 */
const PROVIDER_PROCESS = `
const swc = require('@swc/core');
require.extensions['.ts'] = (module, filename) =>
  module._compile(swc.transformFileSync(filename, { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }).code, filename);
require(process.argv[1]);
`;

/** Starts a provider process (test/provider-process.ts), for the test to read from and SIGKILL. */
export function startProviderProcess({ inherit = {}, ...options }: ProviderProcessOptions): ProviderProcess {
  const settings = JSON.stringify({ ...options, runnerEntry: SANDBOX_RUNNER_ENTRY });
  const stdio: (number | 'ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'];
  for (const [at, fd] of Object.entries(inherit)) {
    while (stdio.length < Number(at)) stdio.push('ignore');
    stdio[Number(at)] = fd;
  }
  const child: ChildProcess = spawn(process.execPath, ['--conditions=@stratus/source', '-e', PROVIDER_PROCESS, path.join(__dirname, 'provider-process.ts'), settings], {
    cwd: path.join(__dirname, '..'),
    stdio,
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines: Record<string, unknown>[] = [];
  const waiting: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    waiting.splice(0).forEach((wake) => wake());
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    next: async <T>(key: string) => {
      for (;;) {
        const index = lines.findIndex((line) => key in line);
        if (index >= 0) return lines.splice(index, 1)[0]![key] as T;
        if (child.exitCode !== null) throw new Error(`the provider process exited: ${stderr}`);
        await Promise.race([new Promise<void>((resolve) => waiting.push(resolve)), exited]);
      }
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
