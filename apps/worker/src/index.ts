/**
 * @module @stratus/worker
 * The worker as a feature module, so the all-in-one process can compose it with the API and the gateway.
 */
export { parseWorkerEnv, WorkerEnv } from './config/worker-env';
export { WorkerAppModule, WorkerModule } from './worker.module';
