/** Injection tokens of the shared infrastructure clients. */
export const SERVER_ENV = Symbol('SERVER_ENV');
export const PRISMA = Symbol('PRISMA');
/** The process's node-postgres pool (a Pool from @stratus/db), which PRISMA queries through too. */
export const PG_POOL = Symbol('PG_POOL');
export const REDIS = Symbol('REDIS');
export const MODEL_CATALOG = Symbol('MODEL_CATALOG');
export const SECRET_BOX = Symbol('SECRET_BOX');
export const EVENT_STORE = Symbol('EVENT_STORE');
/** The producer of session-turn jobs (SessionTurnProducer from @stratus/queues). */
export const TURN_PRODUCER = Symbol('TURN_PRODUCER');
/** The producer of sandbox lifecycle jobs (SandboxLifecycleProducer from @stratus/queues). */
export const SANDBOX_LIFECYCLE_PRODUCER = Symbol('SANDBOX_LIFECYCLE_PRODUCER');
