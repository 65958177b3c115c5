/**
 * Why a running turn was stopped from outside: the user (cancel, user.interrupt), the session's
 * deletion, or this worker shutting down (the turn is then left for another worker to resume).
 */
export class TurnStop extends Error {
  override name = 'TurnStop';

  constructor(readonly reason: 'cancel' | 'interrupt' | 'delete' | 'shutdown') {
    super(`the turn was stopped (${reason})`);
  }
}
