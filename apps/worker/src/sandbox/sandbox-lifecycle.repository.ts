import { Inject, Injectable } from '@nestjs/common';
import { SANDBOX_LIFECYCLE_PRODUCER } from '@stratus/nest-common';
import type { SandboxLifecycleProducer } from '@stratus/queues';

/** The sandbox lifecycle jobs the worker itself schedules: idle reaps and the periodic reconciler. */
@Injectable()
export class SandboxLifecycleRepository {
  constructor(@Inject(SANDBOX_LIFECYCLE_PRODUCER) private readonly producer: SandboxLifecycleProducer) {}

  /** (Re)schedules the session's idle reap `delayMs` from now. */
  scheduleReap(sessionId: string, delayMs: number): Promise<void> {
    return this.producer.scheduleReap(sessionId, delayMs);
  }

  /** Runs the reconciler every `everyMs` across the deployment (0 = never). */
  scheduleReconcile(everyMs: number): Promise<void> {
    return this.producer.scheduleReconcile(everyMs);
  }
}
