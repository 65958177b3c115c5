import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { PrismaClient } from '@stratus/db';
import { PRISMA, REDIS } from '@stratus/nest-common';
import { QUEUE_NAMES, queuePrefix } from '@stratus/queues';
import { stratusMetrics, type BatchObservableResult, type Observable } from '@stratus/telemetry';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';

const SESSION_STATUSES = ['idle', 'processing', 'canceling'] as const;
const JOB_STATES = ['waiting', 'active', 'delayed'] as const;

/**
 * The deployment-wide gauges, read when metrics are collected (a scrape, an OTLP export), never
 * otherwise: sessions by status from PostgreSQL and the depth of every BullMQ queue from Redis.
 * Every worker reports the same values; dashboards take max() across workers. Deliberately not one
 * elected reporter: the gauges would vanish between a reporter's death and the next election, and
 * move from one scrape target to another on each hand-over (dashboards would still aggregate across
 * workers); what it would save is one grouped count of sessions and a few Redis calls per worker per
 * collection (a scrape or an OTLP export), not per turn.
 */
@Injectable()
export class DeploymentGaugesService implements OnModuleInit, OnApplicationShutdown {
  private readonly queues: Queue[];
  private readonly observe = (result: BatchObservableResult) => this.collect(result);
  private readonly observables: Observable[];

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(REDIS) redis: Redis,
    @Inject(WORKER_ENV) env: WorkerEnv,
  ) {
    this.queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: redis, prefix: queuePrefix(env.REDIS_KEY_PREFIX) }));
    const metrics = stratusMetrics();
    this.observables = [metrics.sessions, metrics.queueDepth];
  }

  onModuleInit(): void {
    this.meter().addBatchObservableCallback(this.observe, this.observables);
  }

  async onApplicationShutdown(): Promise<void> {
    this.meter().removeBatchObservableCallback(this.observe, this.observables);
    await Promise.all(this.queues.map((queue) => queue.close()));
  }

  private meter() {
    return stratusMetrics().meter;
  }

  private async collect(result: BatchObservableResult): Promise<void> {
    const { sessions, queueDepth } = stratusMetrics();
    const [byStatus, archived, depths] = await Promise.all([
      this.prisma.session.groupBy({ by: ['status'], where: { archivedAt: null }, _count: { _all: true } }),
      this.prisma.session.count({ where: { archivedAt: { not: null } } }),
      Promise.all(this.queues.map(async (queue) => ({ queue: queue.name, counts: await queue.getJobCounts(...JOB_STATES) }))),
    ]);
    for (const status of SESSION_STATUSES) result.observe(sessions, byStatus.find((row) => row.status === status)?._count._all ?? 0, { status });
    result.observe(sessions, archived, { status: 'archived' });
    for (const { queue, counts } of depths) for (const state of JOB_STATES) result.observe(queueDepth, counts[state] ?? 0, { queue, state });
  }
}
