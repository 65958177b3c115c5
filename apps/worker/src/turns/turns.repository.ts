import { Inject, Injectable } from '@nestjs/common';
import type { Event as EventRow, PrismaClient, SessionStatus } from '@stratus/db';
import { releaseSession, SessionOwnerError, type AppendOutcome, type EventStore, type NewEvent, type SessionRef } from '@stratus/events';
import { EVENT_STORE, PRISMA } from '@stratus/nest-common';
import { touchSlotClause } from '../sandbox/sandbox-slots.repository';

/** Why a turn job attempt could not claim the session (SessionContextRepository.load). */
export type ClaimRefusal =
  /** Nothing to do: the session is idle (a late duplicate of a finished wake-up). */
  | { kind: 'idle' }
  | { kind: 'gone' }
  /** Another job owns the session; it may be alive (leave it) or dead (take over). */
  | { kind: 'owned'; owner: string };

/** One transaction of a turn: events to append and what they do to the session. */
export interface TurnCommit {
  events: NewEvent[];
  /** User events the turn takes (processed_at and turn_id are set). */
  consume?: { ids: string[]; turnId: string };
  /** Counts a turn in the session's stats when the event with this dedupe key is new. */
  turnStartKey?: string;
  /** Token usage, counted when the event with `key` is new (a replayed step is not counted twice). */
  usage?: { key: string; input: number; output: number };
  /** Running time to add to the session's active time. */
  activeMs?: number;
  /**
   * 'pause': the session goes idle (waiting for tool answers). 'finish': the turn is over; the
   * session goes idle unless user.message events are queued, in which case the job goes on.
   */
  end?: 'pause' | 'finish';
  /** The turn used the session's sandbox: this commit records its last use in the capacity ledger (LRU eviction). */
  sandboxUsed?: boolean;
}

export interface CommitResult {
  rows: EventRow[];
  fresh: EventRow[];
  /** The session's status before this commit changed it: `canceling` tells the turn to stop. */
  status: SessionStatus;
  /** After end 'finish': user messages are queued, the session stays processing and the job runs the next turn. */
  continues: boolean;
}

/** Another turn job took the session over (this one was presumed dead); this one must stop. */
export class TurnTakenError extends Error {
  override name = 'TurnTakenError';
}

/** Which turn job attempt runs a session (a refused claim, takeover, release), the turns' commits, and the recovery sweep's look-up. */
@Injectable()
export class TurnsRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** Why the attempt `owner` could not claim the session (turn-owner.ts). */
  async claimRefusal(sessionId: string, owner: string): Promise<ClaimRefusal> {
    const rows = await this.prisma.$queryRaw<{ turn_job_id: string | null }[]>`SELECT turn_job_id FROM sessions WHERE id = ${sessionId}`;
    const session = rows[0];
    if (!session) return { kind: 'gone' };
    // Owned by another attempt, or idle (a late duplicate of a finished wake-up).
    return session.turn_job_id !== null && session.turn_job_id !== owner ? { kind: 'owned', owner: session.turn_job_id } : { kind: 'idle' };
  }

  /** Takes the session over from an attempt that is over; false when someone else did first. */
  async takeOver(sessionId: string, owner: string, from: string): Promise<boolean> {
    const { count } = await this.prisma.session.updateMany({ where: { id: sessionId, turnJobId: from }, data: { turnJobId: owner } });
    return count === 1;
  }

  /** Gives the session up without a turn (nothing to do): idle, no owner. */
  async release(session: SessionRef, owner: string): Promise<void> {
    await releaseSession(this.prisma, session, owner);
  }

  /**
   * Appends a turn's events and applies their effects in one statement (EventStore.appendWithOutcome),
   * which checks under the session's row lock that this attempt (`owner`) still owns the session before
   * writing anything; then publishes what is new. The lock also makes a commit that takes user events
   * or ends the turn see every message committed before it.
   */
  async commit({ sessionId, workspaceId }: SessionRef, owner: string, commit: TurnCommit): Promise<CommitResult> {
    const end = { name: 'end', releaseOwner: true } as const;
    let appended: AppendOutcome;
    try {
      appended = await this.store.appendWithOutcome(this.prisma, sessionId, commit.events, {
        workspaceId,
        owner,
        consume: commit.consume,
        // A finished turn with user messages queued goes on: the session stays processing, owned by this job.
        transition: commit.end ? end : undefined,
        transitionIfQueued: commit.end === 'finish' ? { name: 'next' } : undefined,
        usage: commit.usage,
        turnKey: commit.turnStartKey,
        activeMs: commit.activeMs,
        alongside: commit.sandboxUsed ? touchSlotClause(sessionId) : undefined,
      });
    } catch (error) {
      if (error instanceof SessionOwnerError) throw new TurnTakenError(error.message);
      throw error;
    }
    await this.store.publish(appended.fresh);
    return { rows: appended.rows, fresh: appended.fresh, status: appended.status, continues: appended.queued };
  }

  /** Processing sessions untouched for a while: candidates for the recovery sweep. */
  async findQuietBusySessions(quietMs: number, limit: number): Promise<{ id: string; turnJobId: string | null; lastSeq: number }[]> {
    return this.prisma.session.findMany({
      where: { status: { not: 'idle' }, updatedAt: { lt: new Date(Date.now() - quietMs) } },
      select: { id: true, turnJobId: true, lastSeq: true },
      orderBy: { updatedAt: 'asc' },
      take: limit,
    });
  }
}
