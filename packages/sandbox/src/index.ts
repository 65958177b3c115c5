/**
 * @module @stratus/sandbox
 * Where a session's tools run: the SandboxProvider interface, the kubernetes provider (a Job per
 * session), the local provider (a sandbox-runner process per session, isolated with bubblewrap), the
 * warm pool and reconciliation both share, and the typed client of the runner's HTTP API.
 */
export * from './provider';
export type {
  EditRequest,
  EditResult,
  ExecRequest,
  ExecResult,
  FetchRequest,
  FetchResult,
  GlobRequest,
  GlobResult,
  GrepMatch,
  GrepRequest,
  GrepResult,
  ReadRequest,
  ReadResult,
  RunnerErrorBody,
  WriteRequest,
  WriteResult,
} from '@stratus/sandbox-protocol';
export * from './runner-client';
export * from './sandbox-errors';
export { LocalSandboxProvider, type LocalSandboxProviderOptions, type SandboxLogger } from './local/local-provider';
export { RunnerStartError } from './local/runner-process';
export { resolveRunnerInstall, type RunnerInstall } from './local/runner-install';
export { KubernetesSandboxProvider, type KubernetesSandboxProviderOptions } from './kubernetes/kubernetes-provider';
export { KubeApiError, type KubeConnection } from './kubernetes/kube-api';
export { SandboxLiveness, type SandboxLivenessOptions } from './kubernetes/sandbox-liveness';
export type { NetworkPolicyConfig } from './kubernetes/network-policies';
export type { WarmPoolConfig } from './pool/warm-pool';
export { templateDigest } from './pool/template-digest';
export { SandboxEnv, parseSandboxEnv, createSandboxProvider, kubernetesOptionsFromEnv, localSandboxDir } from './sandbox-config';
