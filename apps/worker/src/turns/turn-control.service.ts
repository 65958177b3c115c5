import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { TurnControlMessage } from '@stratus/queues';
import { SandboxService } from '../sandbox/sandbox.service';
import { TurnControlRepository } from './turn-control.repository';
import { TurnStop } from './turn-stop';

/** The stop switch of one session's turns in this process. */
export interface TurnSwitch {
  /** Aborts with a TurnStop when the turn is to stop. */
  readonly signal: AbortSignal;
  /** Stops the turn from inside (a canceling status seen in the database). */
  stop(reason: TurnStop['reason']): void;
  /** A fresh signal for the next turn, after a stopped one was wound up. */
  renew(): void;
  /** Forgets the session (its job is over). */
  release(): void;
}

/**
 * Which sessions this process is running turns for, and their stop switches. Cancels reach a running
 * turn here within milliseconds of the API publishing them.
 */
@Injectable()
export class TurnControlService implements OnModuleInit {
  private readonly logger = new Logger(TurnControlService.name);
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly repository: TurnControlRepository,
    private readonly sandboxes: SandboxService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.repository.listen((message) => this.handle(message));
  }

  /** Registers a session whose turns this process is about to run. */
  register(sessionId: string): TurnSwitch {
    let controller = new AbortController();
    this.running.set(sessionId, controller);
    return {
      get signal() {
        return controller.signal;
      },
      stop: (reason) => controller.abort(new TurnStop(reason)),
      renew: () => {
        controller = new AbortController();
        this.running.set(sessionId, controller);
      },
      release: () => {
        if (this.running.get(sessionId) === controller) this.running.delete(sessionId);
      },
    };
  }

  /** Stops every running turn (process shutdown); they are left for other workers to resume. */
  stopAll(reason: TurnStop['reason']): void {
    for (const controller of this.running.values()) controller.abort(new TurnStop(reason));
  }

  private handle(message: TurnControlMessage): void {
    const controller = this.running.get(message.sessionId);
    if (controller && !controller.signal.aborted) {
      controller.abort(new TurnStop(message.action));
      this.logger.debug({ sessionId: message.sessionId, action: message.action, latencyMs: message.at ? Date.now() - message.at : undefined }, 'turn stopped');
    }
    if (message.action === 'delete') void this.sandboxes.destroy(message.sessionId);
  }
}
