/** The worker's parsed environment (WorkerEnv). */
export const WORKER_ENV = Symbol('WORKER_ENV');
/** The SandboxProvider sessions' sandboxes are provisioned with. */
export const SANDBOX_PROVIDER = Symbol('SANDBOX_PROVIDER');
