/** Injection tokens of the shared infrastructure clients. */
export const SERVER_ENV = Symbol('SERVER_ENV');
export const PRISMA = Symbol('PRISMA');
export const REDIS = Symbol('REDIS');
export const MODEL_CATALOG = Symbol('MODEL_CATALOG');
export const SECRET_BOX = Symbol('SECRET_BOX');
export const EVENT_STORE = Symbol('EVENT_STORE');
/** The producer of session-turn jobs (SessionTurnProducer from @stratus/queues). */
export const TURN_PRODUCER = Symbol('TURN_PRODUCER');
/** The producer of sandbox lifecycle jobs (SandboxLifecycleProducer from @stratus/queues). */
export const SANDBOX_LIFECYCLE_PRODUCER = Symbol('SANDBOX_LIFECYCLE_PRODUCER');
