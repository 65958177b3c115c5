import type { SessionStatus } from '@stratus/contracts';

/*
 * The session status machine of api.md, as data:
 *
 *   idle --wake--> processing --end--> idle
 *   processing --interrupt / cancel--> canceling --end--> idle
 *   processing | canceling --next--> processing   (a turn ended with user messages queued: the job runs the next)
 *   archive: only an idle session (archiving sets archived_at; the status stays idle)
 *   delete: any status (the row goes)
 *
 * Every change of a session's status is one of these transitions, checked against this table by the
 * one module that writes it (session-state.ts, and the event store for changes made with an append).
 */
export const SESSION_TRANSITIONS = {
  /** A user.message (or the last missing answers of a paused turn) reaches an idle session: a turn is to run. */
  wake: { from: ['idle'], to: 'processing' },
  /** A user.interrupt stops the running turn. */
  interrupt: { from: ['processing'], to: 'canceling' },
  /** POST /sessions/{id}/cancel stops the running turn. */
  cancel: { from: ['processing'], to: 'canceling' },
  /** The turn ended, paused for tool answers, was aborted, or its job found nothing to do. */
  end: { from: ['processing', 'canceling'], to: 'idle' },
  /** The turn ended with user messages queued: the same job runs the next turn. */
  next: { from: ['processing', 'canceling'], to: 'processing' },
  archive: { from: ['idle'], to: 'idle' },
  delete: { from: ['idle', 'processing', 'canceling'], to: null },
} as const satisfies Record<string, { from: readonly SessionStatus[]; to: SessionStatus | null }>;

export type SessionTransition = keyof typeof SESSION_TRANSITIONS;

/** The status a session is created with: idle, or processing at once when it has initial events to act on. */
export function createdStatus(hasInitialEvents: boolean): SessionStatus {
  return hasInitialEvents ? SESSION_TRANSITIONS.wake.to : 'idle';
}

/** A transition the table does not allow from the session's status. */
export class SessionTransitionError extends Error {
  override name = 'SessionTransitionError';
  constructor(
    readonly transition: SessionTransition,
    readonly from: SessionStatus,
  ) {
    super(`a ${from} session cannot ${transition}`);
  }
}

/** The statuses a transition may start from. */
export function statusesBefore(transition: SessionTransition): readonly SessionStatus[] {
  return SESSION_TRANSITIONS[transition].from;
}

/** Whether the table allows the transition from `from`. */
export function canTransition(from: SessionStatus, transition: SessionTransition): boolean {
  return statusesBefore(transition).includes(from);
}

/** The status after a transition from `from` (null: the session is gone); throws SessionTransitionError when it is not allowed. */
export function statusAfter(from: SessionStatus, transition: SessionTransition): SessionStatus | null {
  if (!canTransition(from, transition)) throw new SessionTransitionError(transition, from);
  return SESSION_TRANSITIONS[transition].to;
}
