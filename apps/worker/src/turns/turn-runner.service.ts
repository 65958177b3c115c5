import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SecretBox } from '@stratus/db';
import { SessionNotFoundError, type EventStore } from '@stratus/events';
import { EVENT_STORE, SECRET_BOX } from '@stratus/nest-common';
import type { WorkerEnv } from '../config/worker-env';
import { McpConnectionsService } from '../mcp/mcp-connections.service';
import { ModelRepository } from '../model/model.repository';
import { SandboxService } from '../sandbox/sandbox.service';
import { BuiltinToolsRepository } from '../tools/builtin-tools.repository';
import { WORKER_ENV } from '../worker.tokens';
import { SessionContextRepository, type SessionSnapshot } from './session-context.repository';
import { TurnControlService, type TurnSwitch } from './turn-control.service';
import { ownerJobId, turnOwner } from './turn-owner';
import { TurnRecoveryService } from './turn-recovery.service';
import { TurnRun, type TurnRunDeps } from './turn-run';
import { TurnStop } from './turn-stop';
import { TurnTakenError, TurnsRepository } from './turns.repository';

/**
 * How a turn job ended: `done` (the session is idle, waiting, or gone), `left` (another job runs the
 * session), `stopped` (this worker is shutting down; the job is to run again elsewhere).
 */
export type TurnJobOutcome = 'done' | 'left' | 'stopped';

/** Stands for the lock token in the owner value of a job that failed for good (it holds no lock any more). */
const FAILED_ATTEMPT = 'failed';

/**
 * Runs the turn jobs of sessions: one job at a time per session (the job that owns it in the
 * database), resuming whatever the event log says is unfinished.
 */
@Injectable()
export class TurnRunnerService {
  private readonly logger = new Logger(TurnRunnerService.name);
  private readonly deps: TurnRunDeps;

  constructor(
    private readonly turns: TurnsRepository,
    private readonly sessions: SessionContextRepository,
    private readonly recovery: TurnRecoveryService,
    private readonly control: TurnControlService,
    @Inject(EVENT_STORE) events: EventStore,
    model: ModelRepository,
    tools: BuiltinToolsRepository,
    mcp: McpConnectionsService,
    sandboxes: SandboxService,
    @Inject(SECRET_BOX) secrets: SecretBox,
    @Inject(WORKER_ENV) env: WorkerEnv,
  ) {
    this.deps = { turns, sessions, events, model, tools, mcp, sandboxes, secrets, env, logger: this.logger };
  }

  /**
   * Runs the session's turns for one attempt of a turn job; `lockToken` is the BullMQ lock token the
   * attempt holds, which makes the attempt's ownership of the session its own (turn-owner.ts).
   */
  async run(jobId: string, lockToken: string, sessionId: string, lockLost?: AbortSignal): Promise<TurnJobOutcome> {
    const owner = turnOwner(jobId, lockToken);
    // Read while claiming, in one statement: a job that finds the session taken wastes a read, every
    // other one saves a round trip. Whatever is committed after the read reaches the run through its commits' checks.
    const snapshot = await this.sessions.load(sessionId, owner);
    if (!(await this.claimed(snapshot, owner, jobId, sessionId))) return 'left';
    const turnSwitch = this.control.register(sessionId);
    const onLockLost = () => turnSwitch.stop('lost');
    lockLost?.addEventListener('abort', onLockLost);
    try {
      if (lockLost?.aborted) throw new TurnStop('lost');
      if (!snapshot) return 'done';
      await new TurnRun(this.deps, snapshot.context, snapshot.log, owner, turnSwitch).run();
      return 'done';
    } catch (error) {
      if (error instanceof SessionNotFoundError || (error instanceof TurnStop && error.reason === 'delete')) return 'done';
      if (error instanceof TurnTakenError) {
        this.logger.warn({ sessionId, jobId, err: error.message }, 'turn taken over by another job');
        return 'left';
      }
      if (error instanceof TurnStop && error.reason === 'lost') {
        this.logger.warn({ sessionId, jobId }, 'turn stopped here: its job lock was lost to another attempt');
        return 'left';
      }
      if (error instanceof TurnStop && error.reason === 'shutdown') return 'stopped';
      throw error;
    } finally {
      lockLost?.removeEventListener('abort', onLockLost);
      turnSwitch.release();
    }
  }

  /**
   * Ends the open turn of a job that failed for good, with a session.error, so the session does not
   * stay processing; when messages are queued behind it, a new job takes them. Never rejects: it runs
   * after the job is over, with nobody to report to, often because PostgreSQL is down; what it cannot
   * do is left to the recovery sweep, which finds the session processing without a live job.
   */
  async fail(jobId: string, sessionId: string, error: Error): Promise<void> {
    let turnSwitch: TurnSwitch | undefined;
    try {
      const owner = turnOwner(jobId, FAILED_ATTEMPT);
      const snapshot = await this.sessions.load(sessionId, owner);
      if (!snapshot || !(await this.claimed(snapshot, owner, jobId, sessionId))) return;
      turnSwitch = this.control.register(sessionId);
      const ended = await new TurnRun(this.deps, snapshot.context, snapshot.log, owner, turnSwitch).endFailedTurn(`the turn failed: ${error.message}`);
      if (ended?.continues) await this.recovery.enqueue(sessionId, ended.rows.at(-1)!.seq);
    } catch (failure) {
      this.logger.error({ sessionId, jobId, err: String(failure) }, 'could not end the failed turn; the recovery sweep will retry it');
    } finally {
      turnSwitch?.release();
    }
  }

  /**
   * Whether this attempt may run the session: the load claimed it, or its owner is over and this attempt
   * takes over. An earlier attempt of the same job is over by definition: this one holds the job's lock.
   */
  private async claimed(snapshot: SessionSnapshot | null, owner: string, jobId: string, sessionId: string): Promise<boolean> {
    if (snapshot?.claimed) return true;
    const refusal = await this.turns.claimRefusal(sessionId, owner);
    switch (refusal.kind) {
      case 'idle':
      case 'gone':
        return false;
      case 'owned': {
        const previous = ownerJobId(refusal.owner);
        // A running (or stalled, soon to be retried) job handles the session; this one is a duplicate.
        if (previous !== jobId && (await this.recovery.isAlive(previous))) return false;
        this.logger.warn({ sessionId, jobId, previous: refusal.owner }, 'taking over a session whose turn job attempt is gone');
        return this.turns.takeOver(sessionId, owner, refusal.owner);
      }
    }
  }
}
