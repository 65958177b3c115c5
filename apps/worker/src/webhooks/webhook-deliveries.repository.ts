import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient, type Webhook, type WebhookDelivery, type WebhookDeliveryStatus } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';

/** How one attempt went and what it means for the delivery. */
export interface AttemptRecord {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  responseStatus: number | null;
  error: string | null;
  status: WebhookDeliveryStatus;
  nextAttemptAt: Date | null;
}

/** The delivery outbox as the worker uses it: hand out due attempts, read a delivery, record an attempt. */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Leases up to `limit` due deliveries for `leaseMs` and returns them with their attempt count. SKIP LOCKED
   * lets several dispatchers poll at once without handing out the same delivery twice.
   */
  claimDue(limit: number, leaseMs: number): Promise<{ id: string; attempts: number }[]> {
    return this.prisma.$queryRaw<{ id: string; attempts: number }[]>`
      UPDATE webhook_deliveries SET lease_until = now() + make_interval(secs => ${leaseMs / 1000}::float8)
      WHERE id IN (
        SELECT id FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
        ORDER BY next_attempt_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING id, attempts`;
  }

  find(id: string): Promise<WebhookDelivery | null> {
    return this.prisma.webhookDelivery.findUnique({ where: { id } });
  }

  webhook(id: string): Promise<Webhook | null> {
    return this.prisma.webhook.findUnique({ where: { id } });
  }

  /** Forgets a delivery whose webhook was deleted. */
  async drop(id: string): Promise<void> {
    await this.prisma.webhookDelivery.deleteMany({ where: { id } });
  }

  /**
   * Records an attempt and moves the delivery on, unless that attempt was recorded already (a job that ran
   * twice, its worker having died after sending): the first record stands. Returns whether it was recorded.
   */
  async record(id: string, record: AttemptRecord): Promise<boolean> {
    const final = record.status !== 'pending';
    try {
      return await this.prisma.$transaction(async (tx) => {
        const moved = await tx.webhookDelivery.updateMany({
          where: { id, status: 'pending', attempts: record.attempt - 1 },
          data: { attempts: record.attempt, status: record.status, nextAttemptAt: record.nextAttemptAt, leaseUntil: null, completedAt: final ? new Date() : null },
        });
        if (moved.count === 0) return false;
        await tx.webhookDeliveryAttempt.create({
          data: { deliveryId: id, attempt: record.attempt, startedAt: record.startedAt, durationMs: record.durationMs, responseStatus: record.responseStatus, error: record.error },
        });
        return true;
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return false;
      throw error;
    }
  }
}
