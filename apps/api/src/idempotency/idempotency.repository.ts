import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';

/** The row that holds a key, as claim() finds it. */
export interface IdempotencyRecord {
  requestHash: string;
  /** null while its request is still in flight. */
  responseStatus: number | null;
  responseBody: unknown;
}

/** This request's hold on a key: only the holder of the current claim may complete or release it. */
export interface IdempotencyClaim {
  tokenId: string;
  key: string;
  requestHash: string;
  claimToken: string;
}

export type ClaimResult = { claimed: IdempotencyClaim } | { held: IdempotencyRecord };

interface ClaimRow {
  request_hash: string;
  claim_token: string | null;
  response_status: number | null;
  response_body: unknown;
}

/**
 * Remembered responses for Idempotency-Key, one row per (token, key). `expires_at` is the end of
 * the lease while a request is in flight and the end of the replay once it completed; a row past
 * it is taken over by the next claim. Times come from PostgreSQL's clock, shared by every replica.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Claims the key for a new request, or returns the row that holds it (in flight or completed).
   * One statement that always returns the row, so there is no gap in which a row seen as taken
   * could vanish before it is read; when two requests race for an expired row, the row lock makes
   * the second see the first one's fresh lease.
   */
  async claim(tokenId: string, key: string, requestHash: string, leaseMs: number): Promise<ClaimResult> {
    const claimToken = randomUUID();
    const lease = Prisma.sql`now() + interval '1 millisecond' * ${leaseMs}::integer`;
    const expired = Prisma.sql`idempotency_keys.expires_at <= now()`;
    const [row] = await this.prisma.$queryRaw<ClaimRow[]>`
      INSERT INTO idempotency_keys (token_id, key, request_hash, claim_token, created_at, expires_at)
      VALUES (${tokenId}, ${key}, ${requestHash}, ${claimToken}, now(), ${lease})
      ON CONFLICT (token_id, key) DO UPDATE SET
        request_hash    = CASE WHEN ${expired} THEN EXCLUDED.request_hash ELSE idempotency_keys.request_hash END,
        claim_token     = CASE WHEN ${expired} THEN EXCLUDED.claim_token ELSE idempotency_keys.claim_token END,
        response_status = CASE WHEN ${expired} THEN NULL ELSE idempotency_keys.response_status END,
        response_body   = CASE WHEN ${expired} THEN NULL ELSE idempotency_keys.response_body END,
        created_at      = CASE WHEN ${expired} THEN EXCLUDED.created_at ELSE idempotency_keys.created_at END,
        expires_at      = CASE WHEN ${expired} THEN EXCLUDED.expires_at ELSE idempotency_keys.expires_at END
      RETURNING request_hash, claim_token, response_status, response_body`;
    if (row!.claim_token === claimToken) return { claimed: { tokenId, key, requestHash, claimToken } };
    return {
      held: { requestHash: row!.request_hash, responseStatus: row!.response_status, responseBody: row!.response_body },
    };
  }

  /**
   * Remembers the response of a claim for `ttlMs`. A claim taken over by another request is left
   * to it; a row that vanished meanwhile (swept after its lease) is written anew, unless another
   * request claimed the key in between.
   */
  async complete(claim: IdempotencyClaim, status: number, body: unknown, ttlMs: number): Promise<void> {
    const json = JSON.stringify(body ?? null);
    const expires = Prisma.sql`now() + interval '1 millisecond' * ${ttlMs}::integer`;
    const updated = await this.prisma.$executeRaw`
      UPDATE idempotency_keys SET response_status = ${status}, response_body = ${json}::jsonb, expires_at = ${expires}
      WHERE token_id = ${claim.tokenId} AND key = ${claim.key} AND claim_token = ${claim.claimToken} AND response_status IS NULL`;
    if (updated === 1) return;
    await this.prisma.$executeRaw`
      INSERT INTO idempotency_keys (token_id, key, request_hash, claim_token, response_status, response_body, created_at, expires_at)
      VALUES (${claim.tokenId}, ${claim.key}, ${claim.requestHash}, ${claim.claimToken}, ${status}, ${json}::jsonb, now(), ${expires})
      ON CONFLICT (token_id, key) DO NOTHING`;
  }

  /** Extends an in-flight claim's lease; false when the claim is no longer this holder's (taken over, completed or gone). */
  async renew(claim: IdempotencyClaim, leaseMs: number): Promise<boolean> {
    const renewed = await this.prisma.$executeRaw`
      UPDATE idempotency_keys SET expires_at = now() + interval '1 millisecond' * ${leaseMs}::integer
      WHERE token_id = ${claim.tokenId} AND key = ${claim.key} AND claim_token = ${claim.claimToken} AND response_status IS NULL`;
    return renewed === 1;
  }

  /** Forgets a claim whose request failed on our side, so the client can retry with the same key. */
  async release(claim: IdempotencyClaim): Promise<void> {
    await this.prisma.idempotencyKey.deleteMany({ where: { tokenId: claim.tokenId, key: claim.key, claimToken: claim.claimToken, responseStatus: null } });
  }

  async deleteExpired(): Promise<number> {
    const { count } = await this.prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lte: new Date() } } });
    return count;
  }
}
