import type { SandboxSpec, SandboxTemplate } from '../provider';
import { templateDigest, templateOf } from './template-digest';

/** Warm pool settings: how many pre-started sandboxes to keep per environment. */
export interface WarmPoolConfig {
  /** Environment id → number of warm sandboxes; environments not listed get none. */
  sizes: Readonly<Record<string, number>>;
  /**
   * A warm sandbox older than this is replaced (default 10 min), so a claimed one has nearly its whole
   * maximum lifetime ahead and a long-idle pool does not hold sandboxes from an old deployment.
   */
  maxIdleMs?: number;
}

/** How a provider starts and stops one of its sandboxes for the pool. */
export interface WarmPoolOperations<S> {
  start(template: SandboxTemplate, digest: string): Promise<S>;
  stop(sandbox: S): Promise<void>;
}

export interface WarmPoolLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

interface Entry<S> {
  sandbox: S;
  createdAt: number;
}

interface EnvironmentPool<S> {
  template: SandboxTemplate;
  digest: string;
  ready: Entry<S>[];
  starting: number;
  failures: number;
  retryTimer?: NodeJS.Timeout;
}

const DEFAULT_MAX_IDLE_MS = 10 * 60_000;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Pre-started sandboxes per environment, inside one provider. It learns an environment's template
 * from prewarm() or from the first provision, keeps `size` sandboxes of exactly that template (an
 * edited environment drains the old ones), refills in the background one start at a time, backs
 * off when starts fail, and recycles sandboxes that have waited longer than maxIdleMs.
 */
export class WarmPool<S> {
  private readonly pools = new Map<string, EnvironmentPool<S>>();
  private readonly maxIdleMs: number;
  private readonly recycler: NodeJS.Timeout;
  /** Starts under way, so close() can wait for them and stop what they started. */
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly config: WarmPoolConfig,
    private readonly operations: WarmPoolOperations<S>,
    private readonly logger: WarmPoolLogger,
  ) {
    this.maxIdleMs = config.maxIdleMs ?? DEFAULT_MAX_IDLE_MS;
    this.recycler = setInterval(() => this.recycle(), Math.max(1000, this.maxIdleMs / 4)).unref();
  }

  /** The configured size for an environment. */
  sizeOf(environmentId: string): number {
    return Math.max(0, Math.floor(this.config.sizes[environmentId] ?? 0));
  }

  /** Remembers the environment's template (draining sandboxes of an older one) and tops the pool up. */
  prewarm(template: SandboxTemplate): void {
    if (this.closed || this.sizeOf(template.environmentId) === 0) return;
    const digest = templateDigest(template);
    let pool = this.pools.get(template.environmentId);
    if (pool !== undefined && pool.digest !== digest) {
      const stale = pool.ready.splice(0);
      for (const entry of stale) this.stopQuietly(entry.sandbox);
      pool.template = templateOf(template);
      pool.digest = digest;
      pool.failures = 0;
    }
    if (pool === undefined) {
      pool = { template: templateOf(template), digest, ready: [], starting: 0, failures: 0 };
      this.pools.set(template.environmentId, pool);
    }
    this.fill(pool);
  }

  /**
   * Hands a warm sandbox of the spec's exact template to `use` (which claims it for the session and
   * returns the handle), trying the next one if `use` fails. Undefined when none is ready.
   */
  async claim<H>(spec: SandboxSpec, use: (sandbox: S) => Promise<H>): Promise<H | undefined> {
    const pool = this.pools.get(spec.environmentId);
    if (pool === undefined) return undefined;
    const digest = templateDigest(spec);
    try {
      while (pool.digest === digest) {
        const entry = pool.ready.shift();
        if (entry === undefined) return undefined;
        try {
          return await use(entry.sandbox);
        } catch (error) {
          this.logger.warn({ environmentId: spec.environmentId, error: (error as Error).message }, 'warm sandbox could not be claimed; trying the next');
          this.stopQuietly(entry.sandbox);
        }
      }
      return undefined;
    } finally {
      this.fill(pool);
    }
  }

  /** How many sandboxes of the environment are ready to be claimed. */
  readyCount(environmentId: string): number {
    return this.pools.get(environmentId)?.ready.length ?? 0;
  }

  /** Every sandbox currently waiting in a pool. */
  held(): S[] {
    return [...this.pools.values()].flatMap((pool) => pool.ready.map((entry) => entry.sandbox));
  }

  /** Stops filling, waits for starts under way and stops every waiting sandbox. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.recycler);
    for (const pool of this.pools.values()) clearTimeout(pool.retryTimer);
    await Promise.allSettled([...this.inflight]);
    const waiting = [...this.pools.values()].flatMap((pool) => pool.ready.splice(0).map((entry) => entry.sandbox));
    await Promise.all(waiting.map((sandbox) => this.operations.stop(sandbox).catch(() => undefined)));
  }

  private fill(pool: EnvironmentPool<S>): void {
    if (this.closed || pool.starting > 0 || pool.retryTimer !== undefined) return;
    if (pool.ready.length >= this.sizeOf(pool.template.environmentId)) return;
    const { template, digest } = pool;
    pool.starting++;
    const started = this.operations.start(template, digest).then(
      (sandbox) => {
        pool.starting--;
        pool.failures = 0;
        // After close() too: close() stops what is in `ready` once the starts under way are done.
        if (pool.digest !== digest) this.stopQuietly(sandbox);
        else pool.ready.push({ sandbox, createdAt: Date.now() });
        this.fill(pool);
      },
      (error: unknown) => {
        pool.starting--;
        pool.failures++;
        const delayMs = Math.min(1000 * 2 ** (pool.failures - 1), MAX_RETRY_DELAY_MS);
        this.logger.warn({ environmentId: template.environmentId, error: (error as Error).message, retryInMs: delayMs }, 'warm sandbox failed to start');
        if (this.closed) return;
        pool.retryTimer = setTimeout(() => {
          pool.retryTimer = undefined;
          this.fill(pool);
        }, delayMs).unref();
      },
    );
    this.inflight.add(started);
    void started.finally(() => this.inflight.delete(started));
  }

  private recycle(): void {
    const cutoff = Date.now() - this.maxIdleMs;
    for (const pool of this.pools.values()) {
      const old = pool.ready.filter((entry) => entry.createdAt < cutoff);
      if (old.length === 0) continue;
      pool.ready = pool.ready.filter((entry) => entry.createdAt >= cutoff);
      for (const entry of old) this.stopQuietly(entry.sandbox);
      this.fill(pool);
    }
  }

  private stopQuietly(sandbox: S): void {
    this.operations.stop(sandbox).catch((error: unknown) => {
      this.logger.warn({ error: (error as Error).message }, 'warm sandbox could not be stopped');
    });
  }
}
