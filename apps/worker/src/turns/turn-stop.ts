/**
 * Why a running turn was stopped from outside: the user (cancel, user.interrupt), the session's
 * deletion, this worker shutting down (the turn is then left for another worker to resume), or the
 * loss of its job's lock (another attempt of the job runs the turn).
 */
export class TurnStop extends Error {
  override name = 'TurnStop';

  constructor(readonly reason: 'cancel' | 'interrupt' | 'delete' | 'shutdown' | 'lost') {
    super(`the turn was stopped (${reason})`);
  }
}
