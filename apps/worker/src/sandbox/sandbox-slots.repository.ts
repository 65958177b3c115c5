import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';

/** Who asks for a slot, and the caps that apply. */
export interface SlotRequest {
  sessionId: string;
  workspaceId: string;
  workerId: string;
  workspaceCap: number;
  workerCap: number;
  /** Waiters not renewed since then belong to a worker that died: they keep their ticket but hold no one up. */
  staleBefore: Date;
}

/** A live sandbox chosen to be reaped before its idle timeout, to make room. */
export interface Eviction {
  sessionId: string;
  /** The worker that last used it (a local sandbox lives in that process). */
  workerId: string;
}

export type SlotDecision =
  | { kind: 'granted'; /** The session already had a live sandbox (its slot is reused). */ existing: boolean }
  | { kind: 'waiting'; /** An idle sandbox this request made `evicting`: the caller has it destroyed. */ evict?: Eviction };

/** How a reap finds the session's slot. */
export type ReapClaim = 'reap' | 'busy' | 'untracked';

type Tx = Prisma.TransactionClient;

/** What a decision reads of the ledger, in one query. */
interface LedgerView {
  /** The session's slot, if it has one. */
  state: 'live' | 'evicting' | null;
  ahead_in_workspace: number;
  ahead_on_worker: number;
  in_workspace: number;
  on_worker: number;
  evicting_in_workspace: number;
  evicting_on_worker: number;
}

/** Stands for the ticket of a session not in line yet: it would get the newest one. */
const MAX_TICKET = '9223372036854775807';

/**
 * The session's sandbox was just used: it goes to the back of the eviction order. A data-modifying WITH
 * clause, so that the turn records it in the statement of its last commit rather than in a round trip
 * of its own (TurnsRepository.commit).
 */
export function touchSlotClause(sessionId: string): Prisma.Sql {
  return Prisma.sql`WITH sandbox_slot_touched AS (UPDATE sandbox_slots SET last_used_at = now() WHERE session_id = ${sessionId} AND state = 'live')`;
}

/**
 * The deployment-wide ledger of live sandboxes (`sandbox_slots`) and the turns waiting for one
 * (`sandbox_waiters`), in PostgreSQL so that every worker counts the same sandboxes. A decision is one
 * transaction under an advisory lock per workspace and one per worker (always in that order), so two
 * workers never both take the last slot. Waiters are served by ticket: in a workspace, nobody passes an
 * older live waiter; on a worker, nobody passes an older live waiter that only the worker cap holds up.
 */
@Injectable()
export class SandboxSlotsRepository {
  /**
   * This process's decisions, one at a time. They queue for the worker's advisory lock anyway; queued
   * in PostgreSQL instead, each holds a pooled connection while it waits, and a crowd of turns waiting
   * for sandboxes (each asks again every poll, all of them when a slot frees here) took the whole pool:
   * the worker's other queries (its turns' events) stalled behind them, and decisions that waited past
   * the pool's limit failed the tool call.
   */
  private decisions: Promise<unknown> = Promise.resolve();

  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** Grants the session a slot (or finds its live one), or queues it and says which idle sandbox to evict. */
  take(request: SlotRequest): Promise<SlotDecision> {
    const decision = this.decisions.then(() => this.decide(request));
    this.decisions = decision.catch(() => undefined);
    return decision;
  }

  /**
   * One decision, in as few statements as it can: the locks; what the ledger says (the session's slot,
   * its place in line, the counts); then the one write the decision makes. A session not in line yet
   * would get the newest ticket, so everyone in line counts as ahead of it.
   */
  private decide(request: SlotRequest): Promise<SlotDecision> {
    return this.prisma.$transaction(async (tx) => {
      const { sessionId, workspaceId, workerId } = request;
      // Always the workspace's lock first, then the worker's: unnest yields the keys in order.
      const keys = [`stratus.sandbox-slots.workspace:${workspaceId}`, `stratus.sandbox-slots.worker:${workerId}`];
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest(${keys}::text[]) AS key`;
      const [ledger] = (await tx.$queryRaw<LedgerView[]>`
        SELECT
          (SELECT state::text FROM sandbox_slots WHERE session_id = ${sessionId}) AS state,
          (SELECT count(*)::int FROM sandbox_waiters WHERE workspace_id = ${workspaceId} AND ticket < own.ticket AND seen_at >= ${request.staleBefore}) AS ahead_in_workspace,
          (SELECT count(*)::int FROM sandbox_waiters w WHERE w.worker_id = ${workerId} AND w.ticket < own.ticket AND w.seen_at >= ${request.staleBefore}
             AND (SELECT count(*) FROM sandbox_slots s WHERE s.workspace_id = w.workspace_id) < ${request.workspaceCap}) AS ahead_on_worker,
          (SELECT count(*)::int FROM sandbox_slots WHERE workspace_id = ${workspaceId}) AS in_workspace,
          (SELECT count(*)::int FROM sandbox_slots WHERE worker_id = ${workerId}) AS on_worker,
          (SELECT count(*)::int FROM sandbox_slots WHERE workspace_id = ${workspaceId} AND state = 'evicting') AS evicting_in_workspace,
          (SELECT count(*)::int FROM sandbox_slots WHERE worker_id = ${workerId} AND state = 'evicting') AS evicting_on_worker
        FROM (SELECT coalesce((SELECT ticket FROM sandbox_waiters WHERE session_id = ${sessionId}), ${MAX_TICKET}::bigint) AS ticket) own`) as [LedgerView];
      if (ledger.state === 'live') {
        await tx.$executeRaw`
          WITH out_of_line AS (DELETE FROM sandbox_waiters WHERE session_id = ${sessionId})
          UPDATE sandbox_slots SET worker_id = ${workerId}, last_used_at = now() WHERE session_id = ${sessionId}`;
        return { kind: 'granted', existing: true };
      }
      const workspaceFull = ledger.in_workspace >= request.workspaceCap;
      const workerFull = ledger.on_worker >= request.workerCap;
      // No slot yet, room for one and nobody ahead: granted, and out of the line if it was in it.
      if (ledger.state === null && !workspaceFull && !workerFull && ledger.ahead_in_workspace === 0 && ledger.ahead_on_worker === 0) {
        await tx.$executeRaw`
          WITH out_of_line AS (DELETE FROM sandbox_waiters WHERE session_id = ${sessionId})
          INSERT INTO sandbox_slots (session_id, workspace_id, worker_id, last_used_at) VALUES (${sessionId}, ${workspaceId}, ${workerId}, now())`;
        return { kind: 'granted', existing: false };
      }
      // Queued, or still queued: a takeover renews the row of the turn's earlier owner and keeps its ticket.
      await tx.$executeRaw`
        INSERT INTO sandbox_waiters (session_id, workspace_id, worker_id, seen_at) VALUES (${sessionId}, ${workspaceId}, ${workerId}, now())
        ON CONFLICT (session_id) DO UPDATE SET worker_id = EXCLUDED.worker_id, seen_at = EXCLUDED.seen_at`;
      // Its own sandbox is being reaped: the slot frees once it is gone, and the session takes a new one.
      if (ledger.state === 'evicting') return { kind: 'waiting' };
      // The n-th waiter in line makes sure n sandboxes are on their way out, so a queue drains in parallel.
      if (workspaceFull && ledger.evicting_in_workspace <= ledger.ahead_in_workspace) {
        const evict = await this.markLeastRecentlyUsed(tx, { workspaceId });
        if (evict) return { kind: 'waiting', evict };
      }
      if (workerFull && ledger.evicting_on_worker <= ledger.ahead_on_worker) {
        const evict = await this.markLeastRecentlyUsed(tx, { workerId });
        if (evict) return { kind: 'waiting', evict };
      }
      return { kind: 'waiting' };
    });
  }

  /** Takes the session out of the line (its turn stopped while it waited). */
  async leave(sessionId: string, workerId: string): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM sandbox_waiters WHERE session_id = ${sessionId} AND worker_id = ${workerId}`;
  }

  /**
   * Claims the session's slot for a reap: an evicting one always, a live one only while no turn runs
   * (`busy` otherwise). `untracked`: the session has no slot (its sandbox, if any, predates the ledger).
   * The session's status is read under its row's share lock (its latest version, not the snapshot's), and
   * the session cannot start a turn until the claim commits: a turn job that claims the session after that
   * sees the slot evicting, and a turn job that claimed it first makes the session `busy` here. So a turn
   * that finds its session's slot live may use the sandbox without asking the ledger (SandboxCapacityService).
   */
  claimForReap(sessionId: string): Promise<ReapClaim> {
    return this.prisma.$transaction(async (tx) => {
      const claimed = await tx.$executeRaw`
        UPDATE sandbox_slots SET state = 'evicting' WHERE session_id = ${sessionId}
          AND (state = 'evicting' OR (SELECT status FROM sessions WHERE id = ${sessionId} FOR SHARE) = 'idle')`;
      if (claimed > 0) return 'reap';
      const [slot] = await tx.$queryRaw<{ state: string }[]>`SELECT state FROM sandbox_slots WHERE session_id = ${sessionId}`;
      return slot ? 'busy' : 'untracked';
    });
  }

  /** The sandbox of an evicting slot is gone: the slot is free. */
  async remove(sessionId: string): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM sandbox_slots WHERE session_id = ${sessionId} AND state = 'evicting'`;
  }

  /** Forgets the session's slot whatever its state (its sandbox was destroyed with the session). */
  async forget(sessionId: string): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM sandbox_slots WHERE session_id = ${sessionId}`;
  }

  /**
   * The idle sandbox (no turn running) used least recently, in the workspace or on the worker, marked
   * evicting. Its session's row is share-locked like claimForReap's (one being changed is passed over).
   */
  private async markLeastRecentlyUsed(tx: Tx, scope: { workspaceId: string } | { workerId: string }): Promise<Eviction | undefined> {
    const rows =
      'workspaceId' in scope
        ? await tx.$queryRaw<{ session_id: string; worker_id: string }[]>`
            UPDATE sandbox_slots SET state = 'evicting' WHERE session_id = (
              SELECT sl.session_id FROM sandbox_slots sl JOIN sessions se ON se.id = sl.session_id
              WHERE sl.workspace_id = ${scope.workspaceId} AND sl.state = 'live' AND se.status = 'idle'
              ORDER BY sl.last_used_at, sl.session_id LIMIT 1 FOR UPDATE OF sl SKIP LOCKED FOR SHARE OF se SKIP LOCKED)
            RETURNING session_id, worker_id`
        : await tx.$queryRaw<{ session_id: string; worker_id: string }[]>`
            UPDATE sandbox_slots SET state = 'evicting' WHERE session_id = (
              SELECT sl.session_id FROM sandbox_slots sl JOIN sessions se ON se.id = sl.session_id
              WHERE sl.worker_id = ${scope.workerId} AND sl.state = 'live' AND se.status = 'idle'
              ORDER BY sl.last_used_at, sl.session_id LIMIT 1 FOR UPDATE OF sl SKIP LOCKED FOR SHARE OF se SKIP LOCKED)
            RETURNING session_id, worker_id`;
    const [row] = rows;
    return row && { sessionId: row.session_id, workerId: row.worker_id };
  }
}
