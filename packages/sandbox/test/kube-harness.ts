import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startKubeApiServer, type KubeApiServer } from '@stratus/testing/kube-api-server';
import { KubernetesSandboxProvider, resolveRunnerInstall, type KubernetesSandboxProviderOptions } from '../src';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';

export const NAMESPACE = 'stratus-sandboxes';
export const SIGNING_KEY = 'test-egress-signing-key-0123456789abcdef';

/** What providers made by kubeProvider() warned about. */
export const warnings: { details: Record<string, unknown>; message: string }[] = [];

/** A Kubernetes API test server whose kubelet runs the built sandbox runner, and a kubeconfig file for it. */
export async function startCluster(): Promise<{ server: KubeApiServer; kubeconfigPath: string; remove(): Promise<void> }> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'kube-')));
  const server = await startKubeApiServer({
    namespace: NAMESPACE,
    bookmarkIntervalMs: 500,
    kubelet: { runnerEntry: resolveRunnerInstall(SANDBOX_RUNNER_ENTRY).entry, workDir: path.join(dir, 'pods') },
  });
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  await server.writeKubeconfig(kubeconfigPath);
  return {
    server,
    kubeconfigPath,
    async remove() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A provider connected through the generated kubeconfig, as a worker would be. */
export function kubeProvider(kubeconfigPath: string, overrides: Partial<KubernetesSandboxProviderOptions> = {}): KubernetesSandboxProvider {
  return new KubernetesSandboxProvider({
    connection: { kubeconfigPath },
    namespace: NAMESPACE,
    runnerImage: 'ghcr.io/stratus/sandbox-runner:test',
    startTimeoutMs: 10_000,
    egressProxy: { url: 'http://127.0.0.1:3128', signingKey: SIGNING_KEY },
    logger: { warn: (details, message) => warnings.push({ details, message }) },
    ...overrides,
  });
}
