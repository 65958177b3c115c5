import { newId, type Event as EventRow } from '@stratus/db';
import type { NewEvent } from '@stratus/events';
import type { SessionContextRepository, SessionContext } from './session-context.repository';
import type { TurnSwitch } from './turn-control.service';
import { readTurnLog, type TurnEvent, type TurnLog } from './turn-log';
import type { CommitResult, TurnCommit, TurnsRepository } from './turns.repository';

/** What a commit says besides its events: the rest is the outbox's (what it staged and consumed). */
export type CommitOptions = Omit<TurnCommit, 'events' | 'consume' | 'turnStartKey'>;

/**
 * A turn run's view of the session's event log and its way of writing to it: the events read when
 * the job started (kept up to date with what it commits), and the events staged for the next commit,
 * which the log reader reads after the stored ones. Staging lets a turn gather a step's events (and
 * the user events it takes) and store them in one transaction.
 */
export class TurnOutbox {
  private readonly rows: EventRow[];
  private readonly ids: Set<string>;
  private staged: NewEvent[] = [];
  /** The staged events as the log reader reads them. */
  private stagedReads: TurnEvent[] = [];
  private consume?: TurnCommit['consume'];
  private turnStartKey?: string;

  constructor(
    private readonly turns: TurnsRepository,
    private readonly sessions: SessionContextRepository,
    private readonly context: SessionContext,
    rows: EventRow[],
    /** The attempt that owns the session (turn-owner.ts): every commit checks it still does. */
    private readonly owner: string,
    private readonly turnSwitch: TurnSwitch,
  ) {
    this.rows = rows;
    this.ids = new Set(rows.map((row) => row.id));
  }

  /** The stored events and the staged ones, in order. */
  events(): readonly TurnEvent[] {
    return this.stagedReads.length > 0 ? [...this.rows, ...this.stagedReads] : this.rows;
  }

  /** What the log (with the staged events) says. */
  read(): TurnLog {
    return readTurnLog(this.events());
  }

  /** Adds events to the next commit; until then they are part of the log this run reads. */
  stage(events: NewEvent[]): void {
    const now = new Date();
    for (const event of events) {
      const id = (event.id ??= newId('event'));
      this.staged.push(event);
      // The turn's own events need no processing: they are processed as they are made.
      this.stagedReads.push({ id, type: event.type, payload: event.payload, turnId: event.turnId ?? null, processedAt: now });
    }
  }

  /**
   * Stages the taking of user events by a turn (they are marked processed with the next commit, and at
   * once in the log this run reads); `turnStartKey` counts the turn in the session's stats.
   */
  take(rows: TurnEvent[], turnId: string, turnStartKey?: string): void {
    this.consume = { ids: rows.map((row) => row.id), turnId };
    if (turnStartKey !== undefined) this.turnStartKey = turnStartKey;
    const now = new Date();
    for (const row of rows) {
      row.processedAt = now;
      row.turnId = turnId;
    }
  }

  /** Reads the log again: messages queued during a turn were stored by the API, so they are news to this run. */
  async reload(): Promise<void> {
    const rows = await this.sessions.loadLog(this.context.sessionId);
    this.rows.splice(0, this.rows.length, ...rows);
    this.ids.clear();
    for (const row of rows) this.ids.add(row.id);
  }

  /** Commits what is staged, if anything. */
  async flush(): Promise<void> {
    if (this.staged.length > 0 || this.consume) await this.commit([]);
  }

  /** Commits the staged events and `events` in one transaction, and takes note of a cancel seen there. */
  async commit(events: NewEvent[], options: CommitOptions = {}): Promise<CommitResult> {
    this.stage(events);
    const result = await this.turns.commit(this.context, this.owner, { ...options, events: this.staged, consume: this.consume, turnStartKey: this.turnStartKey });
    this.staged = [];
    this.stagedReads = [];
    this.consume = undefined;
    this.turnStartKey = undefined;
    for (const row of result.rows) {
      if (this.ids.has(row.id)) continue;
      this.ids.add(row.id);
      this.rows.push(row);
    }
    // The API set `canceling` and its message did not arrive (or has not yet): stop at the next checkpoint.
    if (result.status === 'canceling' && !options.end) this.turnSwitch.stop('cancel');
    return result;
  }
}
