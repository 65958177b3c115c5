import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { SecretBox } from '@stratus/db';
import { authFailureLimiter, REDIS, SECRET_BOX, SERVER_ENV, type ServerEnv, TokensService } from '@stratus/nest-common';
import { QUEUE_NAMES, queuePrefix } from '@stratus/queues';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { AdminAccess } from './admin-access';
import { AdminSessions, DASHBOARD_PATH } from './admin-session';
import { dashboardRoutes } from './dashboard-routes';
import type { QueueDashboardConfig } from './queue-dashboard.config';

export const QUEUE_DASHBOARD_CONFIG = Symbol('QUEUE_DASHBOARD_CONFIG');

/**
 * Mounts bull-board on the api's Fastify instance under /admin/queues when STRATUS_QUEUE_DASHBOARD
 * is on, over every BullMQ queue of this deployment (REDIS_KEY_PREFIX). Unmounted, the path is the
 * same 404 as any unknown route.
 */
@Injectable()
export class QueueDashboard implements OnModuleInit, OnApplicationShutdown {
  private queues: Queue[] = [];

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: TokensService,
    @Inject(QUEUE_DASHBOARD_CONFIG) private readonly config: QueueDashboardConfig,
    @Inject(SERVER_ENV) private readonly env: ServerEnv,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  onModuleInit(): void {
    if (!this.config.enabled) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    this.queues = QUEUE_NAMES.map((name) => {
      const queue = new Queue(name, { connection: this.redis, prefix: queuePrefix(this.env.REDIS_KEY_PREFIX) });
      // A Redis outage shows as errors on the board; unlistened, an 'error' event would end the process.
      queue.on('error', () => undefined);
      return queue;
    });
    const sessions = new AdminSessions(this.box);
    const access = new AdminAccess(this.tokens, sessions, authFailureLimiter(this.env, this.redis));
    // Registered before the server listens (Nest runs onModuleInit in app.init()); Fastify loads it then.
    void fastify.register(dashboardRoutes({ queues: this.queues, readOnly: this.config.readOnly, access, sessions, secureCookie: this.env.NODE_ENV === 'production' }), {
      prefix: DASHBOARD_PATH,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // The queues share the process's Redis connection, which close() leaves open for its owner.
    await Promise.allSettled(this.queues.map((queue) => queue.close()));
  }
}
