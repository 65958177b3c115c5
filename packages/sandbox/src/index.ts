/**
 * @module @stratus/sandbox
 * Where a session's tools run: the SandboxProvider interface, the local provider (a sandbox-runner
 * process per session, isolated with bubblewrap) and the typed client of the runner's HTTP API.
 */
export * from './provider';
export * from './runner-protocol';
export * from './runner-client';
export { LocalSandboxProvider, type LocalSandboxProviderOptions, type SandboxLogger } from './local/local-provider';
export { RunnerStartError } from './local/runner-process';
export { resolveRunnerInstall, type RunnerInstall } from './local/runner-install';
