import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { RunnerClient, type SandboxProvider, type SandboxSpec } from '@stratus/sandbox';
import { stratusMetrics } from '@stratus/telemetry';
import type { WorkerEnv } from '../config/worker-env';
import { SANDBOX_PROVIDER, WORKER_ENV } from '../worker.tokens';
import { measureProvision } from './sandbox-telemetry';

/** A running sandbox as a turn uses it. */
export interface SessionSandbox {
  runner: RunnerClient;
  /** How long the provider took to start it (0 when it was already running). */
  startupMs: number;
  /** It came from the warm pool. */
  warm: boolean;
}

/** The sandboxes of the sessions this process runs turns for, and clients of their runners. */
@Injectable()
export class SandboxRepository implements OnApplicationShutdown {
  private readonly runners = new Map<string, { token: string; client: RunnerClient }>();
  /** Provisions under way: a turn and the lifecycle queue asking at once share one, never start two. */
  private readonly starting = new Map<string, Promise<SessionSandbox>>();
  private readonly providerName: string;

  constructor(
    @Inject(SANDBOX_PROVIDER) private readonly provider: SandboxProvider,
    @Inject(WORKER_ENV) env: WorkerEnv,
  ) {
    this.providerName = env.STRATUS_SANDBOX_PROVIDER;
    stratusMetrics().sandboxesLive.addCallback((result) => result.observe(this.runners.size, { provider: this.providerName }));
  }

  /** The session's sandbox, started when it is not running (in this process). */
  provision(spec: SandboxSpec): Promise<SessionSandbox> {
    const pending = this.starting.get(spec.sessionId);
    if (pending) return pending;
    const started = this.start(spec).finally(() => this.starting.delete(spec.sessionId));
    this.starting.set(spec.sessionId, started);
    return started;
  }

  private async start(spec: SandboxSpec): Promise<SessionSandbox> {
    const running = await this.provider.get(spec.sessionId);
    const handle = running ?? (await measureProvision(this.providerName, () => this.provider.provision(spec)));
    let entry = this.runners.get(spec.sessionId);
    if (entry?.token !== handle.token) {
      // A new runner (the old one died or was reaped) has a new token and socket.
      if (entry) void entry.client.close();
      entry = { token: handle.token, client: RunnerClient.forHandle(handle) };
      this.runners.set(spec.sessionId, entry);
    }
    return { runner: entry.client, startupMs: running ? 0 : handle.startupMs, warm: handle.warm === true };
  }

  /** Stops the session's sandbox and deletes its files. */
  async destroy(sessionId: string): Promise<void> {
    const entry = this.runners.get(sessionId);
    this.runners.delete(sessionId);
    await entry?.client.close();
    await this.provider.destroy(sessionId);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.runners.values()].map((entry) => entry.client.close()));
    this.runners.clear();
    await this.provider.shutdown();
  }
}
