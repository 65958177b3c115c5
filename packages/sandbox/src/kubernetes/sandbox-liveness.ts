import type { EgressSandboxBinding } from '../egress/egress-credential';
import { SandboxKubeApi, type KubeConnection } from './kube-api';
import { ANNOTATIONS } from './manifests';
import { sandboxJobFinished } from './pod-status';

export interface SandboxLivenessOptions {
  connection: KubeConnection;
  /** The namespace sandboxes run in. */
  namespace: string;
  /** How long an answer is reused; default 5 s, the longest a credential outlives its sandbox. */
  cacheMs?: number;
}

/**
 * Answers the egress proxy's question "is the sandbox this credential is bound to still running?"
 * from the sandbox's Job: alive while a Job of that name exists, has not finished and carries the
 * credential's nonce (a Job re-created under the same name has another). Answers are cached briefly
 * and concurrent questions about one sandbox share one read, so a busy sandbox costs one GET per
 * cache period. Needs `get` on jobs in the sandbox namespace, nothing else.
 */
export class SandboxLiveness {
  private readonly cacheMs: number;
  private readonly answers = new Map<string, { alive: Promise<boolean>; at: number }>();
  private api?: Promise<SandboxKubeApi>;

  constructor(private readonly options: SandboxLivenessOptions) {
    this.cacheMs = options.cacheMs ?? 5000;
  }

  async isAlive(binding: EgressSandboxBinding): Promise<boolean> {
    const key = `${binding.name}\n${binding.nonce}`;
    const cached = this.answers.get(key);
    if (cached !== undefined && performance.now() - cached.at < this.cacheMs) return cached.alive;
    const alive = this.read(binding);
    this.answers.set(key, { alive, at: performance.now() });
    // A failed read is not an answer: the next question asks again.
    alive.catch(() => this.answers.delete(key));
    this.forgetExpired();
    return alive;
  }

  private async read(binding: EgressSandboxBinding): Promise<boolean> {
    this.api ??= SandboxKubeApi.connect(this.options.connection, this.options.namespace);
    const job = await (await this.api).readJob(binding.name);
    return job !== undefined && !sandboxJobFinished(job) && job.metadata?.annotations?.[ANNOTATIONS.egressNonce] === binding.nonce;
  }

  private forgetExpired(): void {
    const now = performance.now();
    for (const [key, answer] of this.answers) if (now - answer.at >= this.cacheMs) this.answers.delete(key);
  }
}
