import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import type { Networking } from '@stratus/sandbox-protocol';
import type { RunnerConfig } from '../src/config';
import { startRunner } from '../src/runner';

export const TOKEN = 'test-token-0123456789abcdef';

export interface CallOptions {
  token?: string | null;
  signal?: AbortSignal;
  method?: 'GET' | 'POST';
}

export interface TestRunner {
  /** The workspace's real path. */
  workspace: string;
  /** A directory next to the workspace, outside it. */
  outside: string;
  call(route: string, body?: unknown, options?: CallOptions): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Starts the runner in this process on a Unix socket in a fresh temporary directory. */
export async function startTestRunner(
  networking: Networking = { type: 'unrestricted' },
  env: NodeJS.ProcessEnv = {},
  config: Partial<RunnerConfig> = {},
): Promise<TestRunner> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'stratus-runner-test-')));
  const workspace = path.join(dir, 'workspace');
  const outside = path.join(dir, 'outside');
  await mkdir(workspace);
  await mkdir(outside);
  const socketPath = path.join(dir, 'runner.sock');
  const runner = await startRunner(
    { token: TOKEN, listen: { socketPath }, workspaceDir: workspace, networking, exitOnStdinClose: false, commandEnv: {}, maxCommandMs: 600_000, ...config },
    { PATH: process.env.PATH, STRATUS_RUNNER_TOKEN: TOKEN, ...env },
  );
  const agent = new Agent({ connect: { socketPath } });
  return {
    workspace,
    outside,
    async call(route, body, { token = TOKEN, signal, method = body === undefined ? 'GET' : 'POST' } = {}) {
      const response = await request(`http://runner${route}`, {
        method,
        dispatcher: agent,
        headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
      return { status: response.statusCode, body: await response.body.json() };
    },
    async close() {
      await agent.close();
      await runner.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Shared with the other suites that watch processes.
export { eventually, pidsWithArgument } from '@stratus/testing';
