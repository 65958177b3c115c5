import { chmod, mkdir, realpath, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { EditRequest, ExecRequest, FetchRequest, GlobRequest, GrepRequest, proxyVariables, ReadRequest, RUNNER_ROUTES, WriteRequest } from '@stratus/sandbox-protocol';
import type { RunnerConfig } from './config';
import { ConfigError } from './config';
import { startEgressBridge } from './egress-bridge';
import { jsonRoute, createRunnerServer } from './server';
import { ExecTool } from './tools/exec';
import { FetchTool } from './tools/fetch';
import { FileTools } from './tools/files';
import { SearchTools } from './tools/search';

export interface RunningRunner {
  /** The socket path, or host:port, it listens on. */
  address: string;
  /** Kills running commands and stops listening. */
  close(): Promise<void>;
}

/**
 * The environment commands start with: the runner's own minus its STRATUS_RUNNER_* settings (so the
 * token does not sit in every process's environment), then the session's variables, then the
 * proxy settings, which a session cannot override (the network namespace would refuse anyway).
 */
function commandEnvironment(env: NodeJS.ProcessEnv, sessionEnv: Record<string, string>, proxy: Record<string, string>): NodeJS.ProcessEnv {
  const own = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('STRATUS_RUNNER_')));
  return { ...own, ...sessionEnv, ...proxy };
}

/** Wires the tools to their routes and starts listening. */
export async function startRunner(config: RunnerConfig, env: NodeJS.ProcessEnv): Promise<RunningRunner> {
  const workspace = await realpath(config.workspaceDir).catch(() => {
    throw new ConfigError(`STRATUS_WORKSPACE_DIR: ${config.workspaceDir} is not an existing directory`);
  });
  // HOME inside the workspace: tools that write dotfiles or caches have somewhere writable to do it,
  // and nobody's real ~/.bashrc is near.
  const homeDir = path.join(workspace, '.home');
  await mkdir(homeDir, { recursive: true });

  const bridge = config.egress === undefined ? undefined : await startEgressBridge(config.egress.socketPath);
  const proxy = config.egress === undefined || bridge === undefined ? {} : proxyVariables(`http://${config.egress.credential}@127.0.0.1:${bridge.port}`);
  const commandEnv = commandEnvironment(env, config.commandEnv, proxy);
  const exec = new ExecTool({
    workspaceDir: workspace,
    homeDir,
    env: commandEnv,
    maxCommandMs: config.maxCommandMs,
    memoryLimit: config.memoryLimit,
  });
  const files = new FileTools(workspace);
  const search = new SearchTools(workspace);
  // Fetch goes through the same proxy as the commands (its environment is the commands').
  const fetcher = new FetchTool(config.networking, { ...env, ...proxy });
  const server = createRunnerServer(config.token, {
    [RUNNER_ROUTES.health]: { method: 'GET', handle: async () => ({ ok: true }) },
    [RUNNER_ROUTES.exec]: jsonRoute(ExecRequest, (request, signal) => exec.run(request, signal)),
    [RUNNER_ROUTES.read]: jsonRoute(ReadRequest, (request) => files.read(request)),
    [RUNNER_ROUTES.write]: jsonRoute(WriteRequest, (request) => files.write(request)),
    [RUNNER_ROUTES.edit]: jsonRoute(EditRequest, (request) => files.edit(request)),
    [RUNNER_ROUTES.glob]: jsonRoute(GlobRequest, (request, signal) => search.glob(request, signal)),
    [RUNNER_ROUTES.grep]: jsonRoute(GrepRequest, (request, signal) => search.grep(request, signal)),
    [RUNNER_ROUTES.fetch]: jsonRoute(FetchRequest, (request, signal) => fetcher.fetch(request, signal)),
  });

  const listen = config.listen;
  if ('socketPath' in listen) await rm(listen.socketPath, { force: true }); // a stale socket from a previous run
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('socketPath' in listen) server.listen(listen.socketPath, resolve);
    else server.listen(listen.port, listen.host, resolve);
  });
  // Only the worker that started the runner (same user) may connect; the token is the second lock.
  if ('socketPath' in listen) await chmod(listen.socketPath, 0o600);
  const address =
    'socketPath' in listen ? listen.socketPath : `${listen.host}:${(server.address() as AddressInfo).port}`;

  return {
    address,
    async close() {
      exec.killAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fetcher.close();
      await bridge?.close();
    },
  };
}
