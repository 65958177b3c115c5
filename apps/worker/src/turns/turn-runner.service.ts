import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SecretBox } from '@stratus/db';
import { SessionNotFoundError } from '@stratus/events';
import { SECRET_BOX } from '@stratus/nest-common';
import type { WorkerEnv } from '../config/worker-env';
import { McpConnectionsService } from '../mcp/mcp-connections.service';
import { ModelRepository } from '../model/model.repository';
import { SandboxService } from '../sandbox/sandbox.service';
import { BuiltinToolsRepository } from '../tools/builtin-tools.repository';
import { WORKER_ENV } from '../worker.tokens';
import { TurnControlService } from './turn-control.service';
import { TurnJobsRepository } from './turn-jobs.repository';
import { TurnRun, type TurnRunDeps } from './turn-run';
import { TurnStop } from './turn-stop';
import { TurnTakenError, TurnsRepository } from './turns.repository';

/**
 * How a turn job ended: `done` (the session is idle, waiting, or gone), `left` (another job runs the
 * session), `stopped` (this worker is shutting down; the job is to run again elsewhere).
 */
export type TurnJobOutcome = 'done' | 'left' | 'stopped';

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
    private readonly jobs: TurnJobsRepository,
    private readonly control: TurnControlService,
    model: ModelRepository,
    tools: BuiltinToolsRepository,
    mcp: McpConnectionsService,
    sandboxes: SandboxService,
    @Inject(SECRET_BOX) secrets: SecretBox,
    @Inject(WORKER_ENV) env: WorkerEnv,
  ) {
    this.deps = { turns, model, tools, mcp, sandboxes, secrets, env, logger: this.logger };
  }

  async run(jobId: string, sessionId: string): Promise<TurnJobOutcome> {
    // Read while claiming: a job that finds the session taken wastes two reads, every other one saves
    // their latency. Whatever is committed after the read reaches the run through its commits' checks.
    const [claimed, context, rows] = await Promise.all([this.claim(jobId, sessionId), this.turns.loadContext(sessionId), this.turns.loadEvents(sessionId)]);
    if (!claimed) return 'left';
    const turnSwitch = this.control.register(sessionId);
    try {
      if (!context) return 'done';
      await new TurnRun(this.deps, context, rows, jobId, turnSwitch).run();
      return 'done';
    } catch (error) {
      if (error instanceof SessionNotFoundError || (error instanceof TurnStop && error.reason === 'delete')) return 'done';
      if (error instanceof TurnTakenError) {
        this.logger.warn({ sessionId, jobId, err: error.message }, 'turn taken over by another job');
        return 'left';
      }
      if (error instanceof TurnStop && error.reason === 'shutdown') return 'stopped';
      throw error;
    } finally {
      turnSwitch.release();
    }
  }

  /**
   * Ends the open turn of a job that failed for good, with a session.error, so the session does not
   * stay processing; when messages are queued behind it, a new job takes them.
   */
  async fail(jobId: string, sessionId: string, error: Error): Promise<void> {
    const [context, rows] = await Promise.all([this.turns.loadContext(sessionId), this.turns.loadEvents(sessionId)]);
    if (!context) return;
    const turnSwitch = this.control.register(sessionId);
    try {
      const ended = await new TurnRun(this.deps, context, rows, jobId, turnSwitch).fail(`the turn failed: ${error.message}`);
      if (ended?.continues) await this.jobs.enqueueRecovery(sessionId, ended.rows.at(-1)!.seq);
    } catch (failure) {
      this.logger.error({ sessionId, jobId, err: String(failure) }, 'could not end the failed turn; the recovery sweep will retry it');
    } finally {
      turnSwitch.release();
    }
  }

  /** Whether this job may run the session: it owns it, or its owner is dead and this job takes over. */
  private async claim(jobId: string, sessionId: string): Promise<boolean> {
    const claim = await this.turns.claim(sessionId, jobId);
    switch (claim.kind) {
      case 'claimed':
        return true;
      case 'idle':
      case 'gone':
        return false;
      case 'owned':
        // A running (or stalled, soon to be retried) job handles the session; this one is a duplicate.
        if (await this.jobs.isAlive(claim.owner)) return false;
        this.logger.warn({ sessionId, jobId, previous: claim.owner }, 'taking over a session whose turn job is gone');
        return this.turns.takeOver(sessionId, jobId, claim.owner);
    }
  }
}
