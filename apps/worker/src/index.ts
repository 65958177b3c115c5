/**
 * @module @stratus/worker
 * The worker as a feature module, so the all-in-one process can compose it with the API and the gateway.
 */
export { parseWorkerEnv, WorkerEnv } from './config/worker-env';
export { WorkerAppModule, WorkerModule } from './worker.module';
// The parts the all-in-one's end-to-end tests drive directly in a composed stack (ownership of a
// turn job, the recovery sweep, the sandbox lifecycle, the model calls' concurrency), beside what a deployment runs.
export { ModelRepository } from './model/model.repository';
export { SandboxLifecycleService } from './sandbox/sandbox-lifecycle.service';
export { SandboxSlotsRepository } from './sandbox/sandbox-slots.repository';
export { turnOwner } from './turns/turn-owner';
export { TurnRecoveryService } from './turns/turn-recovery.service';
export { SessionContextRepository } from './turns/session-context.repository';
export { readTurnLog } from './turns/turn-log';
export { TurnsRepository, TurnTakenError } from './turns/turns.repository';
export { SANDBOX_PROVIDER } from './worker.tokens';
