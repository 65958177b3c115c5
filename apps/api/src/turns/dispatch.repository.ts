import { Inject, Injectable, Logger } from '@nestjs/common';
import { publishTurnControl, type SandboxLifecycleProducer, type SessionTurnProducer, type TurnControlMessage } from '@stratus/queues';
import { REDIS, SANDBOX_LIFECYCLE_PRODUCER, SERVER_ENV, TURN_PRODUCER, type ServerEnv } from '@stratus/nest-common';
import type { Redis } from 'ioredis';

/**
 * How the control plane reaches the worker fleet: turn and sandbox lifecycle jobs on their queues, and
 * control messages to the worker running a session's turn.
 */
@Injectable()
export class DispatchRepository {
  private readonly logger = new Logger(DispatchRepository.name);

  constructor(
    @Inject(TURN_PRODUCER) private readonly producer: SessionTurnProducer,
    @Inject(SANDBOX_LIFECYCLE_PRODUCER) private readonly lifecycle: SandboxLifecycleProducer,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVER_ENV) private readonly env: ServerEnv,
  ) {}

  /**
   * Enqueues the turn job of a session that was just woken (made `processing`). The events are already
   * committed, so a failure here is not the client's: the worker's recovery sweep finds a processing
   * session without a job and enqueues it then.
   */
  async enqueue(sessionId: string, wakeSeq: number): Promise<void> {
    await this.producer.enqueue(sessionId, wakeSeq).catch((error: unknown) => {
      this.logger.warn({ sessionId, err: String(error) }, 'could not enqueue the turn; the recovery sweep will');
    });
  }

  /** Tells the worker running the session's turn, live; best-effort (the worker also reads the status). */
  async signal(sessionId: string, action: TurnControlMessage['action']): Promise<void> {
    await publishTurnControl(this.redis, this.env.REDIS_KEY_PREFIX, { sessionId, action, at: Date.now() }).catch((error: unknown) => {
      this.logger.warn({ sessionId, action, err: String(error) }, 'could not publish the turn control message');
    });
  }

  /**
   * Asks a worker to stop the session's sandbox (the session was deleted). Best-effort: a lost job is
   * left to the reconciler. Nothing asks for a sandbox ahead of time: a turn starts one when it needs it.
   */
  async destroySandbox(sessionId: string): Promise<void> {
    await this.lifecycle.destroy(sessionId).catch((error: unknown) => {
      this.logger.warn({ sessionId, err: String(error) }, 'could not enqueue the sandbox lifecycle job');
    });
  }
}
