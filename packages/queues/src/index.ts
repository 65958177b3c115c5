/**
 * @module @stratus/queues
 * The one home of queue contracts: queue names, job payload schemas, default job options, typed
 * producers, and the control channel that reaches a running turn. No NestJS, no database.
 */
export * from './names';
export * from './options';
export * from './payloads';
export * from './sandbox-lifecycle-producer';
export * from './turn-control';
export * from './turn-producer';
export * from './webhook-delivery-producer';
