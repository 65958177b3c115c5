import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type IdempotencyKey, type PrismaClient } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';

/** Remembered responses for Idempotency-Key, one row per (token, key). */
@Injectable()
export class IdempotencyRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Claims the key for a new request. Returns null when this request got it, or the row
   * that holds it already (in flight or completed). An expired row is taken over.
   */
  async claim(tokenId: string, key: string, requestHash: string, ttlMs: number): Promise<IdempotencyKey | null> {
    const now = new Date();
    const inserted = await this.prisma.$executeRaw`
      INSERT INTO idempotency_keys (token_id, key, request_hash, created_at, expires_at)
      VALUES (${tokenId}, ${key}, ${requestHash}, ${now}, ${new Date(now.getTime() + ttlMs)})
      ON CONFLICT (token_id, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
            response_status = NULL, response_body = NULL
        WHERE idempotency_keys.expires_at <= ${now}`;
    if (inserted === 1) return null;
    return this.prisma.idempotencyKey.findUnique({ where: { tokenId_key: { tokenId, key } } });
  }

  async complete(tokenId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.prisma.idempotencyKey.update({
      where: { tokenId_key: { tokenId, key } },
      data: { responseStatus: status, responseBody: body === undefined ? Prisma.JsonNull : (body as Prisma.InputJsonValue) },
    });
  }

  /** Forgets a claim whose request failed on our side, so the client can retry with the same key. */
  async release(tokenId: string, key: string): Promise<void> {
    await this.prisma.idempotencyKey.deleteMany({ where: { tokenId, key, responseStatus: null } });
  }

  async deleteExpired(): Promise<number> {
    const { count } = await this.prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lte: new Date() } } });
    return count;
  }
}
