import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth-context';
import { HealthRepository } from './health.repository';
import { Readiness } from './readiness';

@Controller()
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthRepository,
    private readonly readiness: Readiness,
  ) {}

  /** Liveness: the process is up. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: PostgreSQL and Redis answer, and the process is not draining for shutdown. */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: 'ok' | 'unavailable' | 'draining'; postgres: string; redis: string }> {
    const { postgres, redis } = await this.health.check();
    const ok = postgres && redis && !this.readiness.draining;
    void reply.status(ok ? 200 : 503);
    const status = this.readiness.draining ? 'draining' : ok ? 'ok' : 'unavailable';
    return { status, postgres: postgres ? 'ok' : 'unreachable', redis: redis ? 'ok' : 'unreachable' };
  }
}
