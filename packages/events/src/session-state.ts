import type { Prisma, SessionStatus } from '@stratus/db';
import { SESSION_TRANSITIONS, statusesBefore } from './session-status';

/** A session as its writers name it: by id, within the workspace it belongs to. */
export interface SessionRef {
  sessionId: string;
  workspaceId: string;
}

type Db = Prisma.TransactionClient;

/*
 * The writes of session state that are not made with an event append (those go through EventStore,
 * which checks the same table). Each is one statement whose `where` names the workspace and the
 * statuses the transition may start from, so another workspace's id, or a session in the wrong
 * status, changes nothing.
 */

/** Archives an idle session. False when nothing was archived: not found in the workspace, busy, or archived already. */
export async function archiveSession(db: Db, { sessionId, workspaceId }: SessionRef): Promise<boolean> {
  const now = new Date();
  const changed = await db.$executeRaw`
    UPDATE sessions SET archived_at = ${now}, updated_at = ${now}
    WHERE id = ${sessionId} AND workspace_id = ${workspaceId} AND archived_at IS NULL
      AND status = ANY(${[...statusesBefore('archive')]}::session_status[])`;
  return changed > 0;
}

/** processing → canceling. The session's status afterwards, or null when the workspace has no such session. */
export async function cancelSession(db: Db, { sessionId, workspaceId }: SessionRef): Promise<SessionStatus | null> {
  const rows = await db.$queryRaw<{ status: SessionStatus | null }[]>`
    WITH target AS (
      SELECT id, status FROM sessions WHERE id = ${sessionId} AND workspace_id = ${workspaceId} FOR UPDATE
    ), changed AS (
      UPDATE sessions s SET status = ${SESSION_TRANSITIONS.cancel.to}::session_status, updated_at = ${new Date()}
      FROM target t WHERE s.id = t.id AND t.status = ANY(${[...statusesBefore('cancel')]}::session_status[])
      RETURNING s.status
    )
    SELECT COALESCE((SELECT status FROM changed), (SELECT status FROM target)) AS status`;
  return rows[0]?.status ?? null;
}

/** Deletes the session (its events go by cascade). Its last sequence number, or null when the workspace has no such session. */
export async function deleteSession(db: Db, { sessionId, workspaceId }: SessionRef): Promise<number | null> {
  const rows = await db.$queryRaw<{ last_seq: number }[]>`
    DELETE FROM sessions WHERE id = ${sessionId} AND workspace_id = ${workspaceId}
      AND status = ANY(${[...statusesBefore('delete')]}::session_status[])
    RETURNING last_seq`;
  return rows[0]?.last_seq ?? null;
}

/** A turn job gives the session up without a turn (nothing to do): idle, no owner; only while `owner` owns it. */
export async function releaseSession(db: Db, { sessionId, workspaceId }: SessionRef, owner: string): Promise<void> {
  await db.$executeRaw`
    UPDATE sessions SET status = ${SESSION_TRANSITIONS.end.to}::session_status, turn_job_id = NULL, updated_at = ${new Date()}
    WHERE id = ${sessionId} AND workspace_id = ${workspaceId} AND turn_job_id = ${owner}
      AND status = ANY(${[...statusesBefore('end')]}::session_status[])`;
}
