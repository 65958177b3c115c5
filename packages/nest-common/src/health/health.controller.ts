import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth-context';
import { HealthRepository } from './health.repository';

@Controller()
@Public()
export class HealthController {
  constructor(private readonly health: HealthRepository) {}

  /** Liveness: the process is up. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: PostgreSQL and Redis answer. */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: 'ok' | 'unavailable'; postgres: string; redis: string }> {
    const { postgres, redis } = await this.health.check();
    const ok = postgres && redis;
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', postgres: postgres ? 'ok' : 'unreachable', redis: redis ? 'ok' : 'unreachable' };
  }
}
