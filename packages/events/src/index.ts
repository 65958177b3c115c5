/**
 * @module @stratus/events
 * The session event log: append (PostgreSQL, per-session sequence), publish (Redis), replay.
 */
export * from './channel';
export * from './event-store';
export * from './serialize';
export * from './webhook-outbox';
