/**
 * @module @stratus/contracts
 * The public API contract as zod schemas: every object, request, event, error and page envelope.
 * Depends on nothing internal; the OpenAPI document is generated from these schemas.
 */
export * from './agents';
export * from './common';
export * from './env';
export * from './environments';
export * from './errors';
export * from './event-payloads';
export * from './events';
export * from './ids';
export * from './models';
export * from './pagination';
export * from './sessions';
export * from './webhooks';
export * from './vaults';
