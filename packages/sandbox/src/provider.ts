import type { Networking } from '@stratus/contracts';
import type { ExecRequest, ExecResult } from '@stratus/sandbox-protocol';

/** Packages an environment installs into its sandboxes before the runner starts. */
export interface SandboxPackages {
  apt: readonly string[];
  pip: readonly string[];
  npm: readonly string[];
}

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
  /** The environment's container image (Kubernetes); the runner is injected into it. Default: the runner image. */
  image?: string;
  /** Installed by an init step before the runner starts (Kubernetes). */
  packages?: SandboxPackages;
  /** Run by the same init step after the packages, in the workspace (Kubernetes). */
  setupScript?: string;
}

/** A sandbox without its session: what a warm pool pre-starts for an environment. */
export type SandboxTemplate = Omit<SandboxSpec, 'sessionId'>;

/** How to reach a sandbox's runner: a Unix socket (local) or an HTTP base URL (a pod IP). */
export type SandboxEndpoint = { socketPath: string } | { baseUrl: string };

/**
 * How a provider reaches a sandbox that keeps no server between calls (a local sandbox whose
 * namespaces are held by a tiny init): `RunnerClient` sends commands through it, and the other
 * calls to the endpoint's runner once `withRunner` has it running.
 */
export interface SandboxChannel {
  exec(body: ExecRequest, signal?: AbortSignal): Promise<ExecResult>;
  /** Runs `call` while the sandbox's runner is up: started on demand, stopped once idle. */
  withRunner<T>(call: () => Promise<T>): Promise<T>;
  /** False once the sandbox has stopped. */
  alive(): boolean;
}

/** A running sandbox, enough to talk to its runner. */
export interface SandboxHandle {
  sessionId: string;
  endpoint: SandboxEndpoint;
  /** The per-session bearer token the runner accepts, and nothing else. */
  token: string;
  startedAt: Date;
  /** Milliseconds from the start of provision() until the runner answered (the "sandbox start time"). */
  startupMs: number;
  /** Where `startupMs` went, in milliseconds per step of a cold start (local provider), for benchmarks. */
  startupSteps?: Readonly<Record<string, number>>;
  /** True when the sandbox came from the warm pool rather than being started for this call. */
  warm?: boolean;
  /** Set when calls reach the sandbox through its provider rather than a runner that is always there. */
  channel?: SandboxChannel;
}

/** One sandbox as a provider sees it, for reconciliation and operators. */
export interface SandboxRecord {
  /** The provider's own id: the Job name (Kubernetes) or the directory name (local). */
  id: string;
  /** Unset for a warm sandbox nobody has claimed yet. */
  sessionId?: string;
  workspaceId: string;
  environmentId: string;
  /** `finished`: the sandbox ended (deadline, crash, OOM, exit) but its remains are still there. */
  state: 'starting' | 'running' | 'finished';
  warm: boolean;
  createdAt: Date;
}

export interface ReconcileOptions {
  /** The subset of `sessionIds` whose sessions still exist and may keep a sandbox (the worker asks PostgreSQL). */
  liveSessions(sessionIds: readonly string[]): Promise<ReadonlySet<string>>;
}

/** Why the reconciler removed something. */
export type ReconcileReason = 'session_gone' | 'finished' | 'stale_warm' | 'dangling_secret' | 'abandoned_spare';

export interface ReconcileReport {
  destroyed: { id: string; sessionId?: string; reason: ReconcileReason }[];
}

/** Creates and reaps the sandboxes of sessions; one sandbox per session. */
export interface SandboxProvider {
  /** Starts the session's sandbox and resolves once its runner is ready; returns the running one if there is one. */
  provision(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Stops the session's sandbox and deletes its files; a no-op when there is none. */
  destroy(sessionId: string): Promise<void>;
  /** The session's running sandbox, if any. */
  get(sessionId: string): Promise<SandboxHandle | undefined>;
  /** Every sandbox this provider can see (Kubernetes: the whole sandbox namespace; local: its base directory). */
  list(): Promise<SandboxRecord[]>;
  /**
   * Removes orphans: sandboxes of sessions that are gone, sandboxes that finished, warm sandboxes no
   * pool holds any more. Safe to run from any worker at any time (a periodic job calls it).
   */
  reconcile(options: ReconcileOptions): Promise<ReconcileReport>;
  /** Fills the warm pool of the template's environment (a no-op when its configured size is 0). */
  prewarm(template: SandboxTemplate): void;
  /**
   * Releases what this provider holds: local sandboxes and every warm sandbox are destroyed;
   * Kubernetes sandboxes of sessions stay, for the next worker to use or the reconciler to reap.
   */
  shutdown(): Promise<void>;
}
