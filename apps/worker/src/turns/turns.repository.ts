import { Inject, Injectable } from '@nestjs/common';
import type { Event as EventRow, PrismaClient, SessionStatus } from '@stratus/db';
import { releaseSession, SessionNotFoundError, type EventStore, type NewEvent, type SessionChanges, type SessionRef } from '@stratus/events';
import { EVENT_STORE, PRISMA } from '@stratus/nest-common';

/** Whether a turn job may run the session's turns. */
export type ClaimResult =
  | { kind: 'claimed' }
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

/** Which turn job attempt runs a session (claim, takeover, release), the turns' commits, and the recovery sweep's look-up. */
@Injectable()
export class TurnsRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /**
   * Takes the session for a turn job's attempt (`owner`, turn-owner.ts): a processing session without
   * an owner becomes this attempt's; one it owns already stays so. One statement in the common case;
   * the update is atomic under the row's lock.
   */
  async claim(sessionId: string, owner: string): Promise<ClaimResult> {
    const taken = await this.prisma.$executeRaw`
      UPDATE sessions SET turn_job_id = ${owner}
      WHERE id = ${sessionId} AND status <> 'idle' AND (turn_job_id IS NULL OR turn_job_id = ${owner})`;
    if (taken === 1) return { kind: 'claimed' };
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
   * Appends a turn's events and applies their effects in one transaction, checking under the session's
   * row lock that this attempt (`owner`) still owns the session; then publishes what is new. A commit that takes user
   * events or ends the turn locks the row first, so that it sees every message committed before it.
   */
  async commit({ sessionId, workspaceId }: SessionRef, owner: string, commit: TurnCommit): Promise<CommitResult> {
    const result = await this.prisma.$transaction(async (tx) => {
      let queued = false;
      // Ownership is checked before the append when the turn ends or pauses, so a session another job
      // has ended since is reported as taken (TurnTakenError), not as a transition its status refuses.
      if (commit.consume || commit.end) {
        const locked = await tx.$queryRaw<{ turn_job_id: string | null }[]>`
          SELECT turn_job_id FROM sessions WHERE id = ${sessionId} AND workspace_id = ${workspaceId} FOR UPDATE`;
        if (!locked[0]) throw new SessionNotFoundError(sessionId);
        if (locked[0].turn_job_id !== owner) throw new TurnTakenError(`session ${sessionId} is now run by ${locked[0].turn_job_id ?? '(none)'}`);
        if (commit.consume && commit.consume.ids.length > 0) {
          await tx.$executeRaw`
            UPDATE events SET processed_at = ${new Date()}, turn_id = ${commit.consume.turnId}
            WHERE session_id = ${sessionId} AND id = ANY(${commit.consume.ids}) AND processed_at IS NULL`;
        }
        if (commit.end === 'finish') {
          const [row] = await tx.$queryRaw<{ queued: boolean }[]>`
            SELECT EXISTS (SELECT 1 FROM events WHERE session_id = ${sessionId} AND type = 'user.message' AND processed_at IS NULL) AS queued`;
          queued = row?.queued ?? false;
        }
      }
      const changes = (fresh: EventRow[]): SessionChanges => {
        const freshKeys = new Set(fresh.map((row) => row.dedupeKey));
        const usage = commit.usage && freshKeys.has(commit.usage.key) ? commit.usage : undefined;
        const end = commit.end === 'pause' || (commit.end === 'finish' && !queued) ? { transition: 'end' as const, turnJobId: null } : {};
        return {
          inputTokens: usage?.input,
          outputTokens: usage?.output,
          turns: commit.turnStartKey !== undefined && freshKeys.has(commit.turnStartKey) ? 1 : 0,
          activeMs: commit.activeMs,
          ...(commit.end === 'finish' && queued ? { transition: 'next' as const } : end),
        };
      };
      const appended = await this.store.appendWithOutcome(tx, sessionId, commit.events, { workspaceId, changes });
      // Checked after the append when the row was not locked before it: throwing rolls the append back.
      if (appended.turnJobId !== owner) throw new TurnTakenError(`session ${sessionId} is now run by ${appended.turnJobId ?? '(none)'}`);
      return { rows: appended.rows, fresh: appended.fresh, status: appended.status, continues: commit.end === 'finish' && queued };
    });
    await this.store.publish(result.fresh);
    return result;
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
