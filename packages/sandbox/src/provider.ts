import type { Networking } from '@stratus/contracts';

/** What a session's sandbox is made from: who it belongs to and its environment's settings. */
export interface SandboxSpec {
  sessionId: string;
  workspaceId: string;
  environmentId: string;
  networking: Networking;
  /** Set for every process in the sandbox (the environment's variables; never the worker's own). */
  environmentVariables: Readonly<Record<string, string>>;
  /** Limits for providers that enforce them (Kubernetes); the local provider ignores them. */
  resources?: { cpu: string; memory: string };
}

/** How to reach a sandbox's runner: a Unix socket (local) or an HTTP base URL (a pod IP). */
export type SandboxEndpoint = { socketPath: string } | { baseUrl: string };

/** A running sandbox, enough to talk to its runner. */
export interface SandboxHandle {
  sessionId: string;
  endpoint: SandboxEndpoint;
  /** The per-session bearer token the runner accepts, and nothing else. */
  token: string;
  startedAt: Date;
  /** Milliseconds from the start of provision() until the runner answered (the "sandbox start time"). */
  startupMs: number;
}

/** Creates and reaps the sandboxes of sessions; one sandbox per session. */
export interface SandboxProvider {
  /** Starts the session's sandbox and resolves once its runner is ready; returns the running one if there is one. */
  provision(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Stops the session's sandbox and deletes its files; a no-op when there is none. */
  destroy(sessionId: string): Promise<void>;
  /** The session's running sandbox, if any. */
  get(sessionId: string): Promise<SandboxHandle | undefined>;
  /** Destroys every sandbox this provider started (process shutdown). */
  shutdown(): Promise<void>;
}
