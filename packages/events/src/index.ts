/**
 * @module @stratus/events
 * The session event log: typed events (built and read through their payload schemas), append
 * (PostgreSQL, per-session sequence), publish (Redis), replay; and the session status machine,
 * whose every change goes through session-status.ts's table.
 */
export * from './channel';
export * from './event-store';
export * from './pending-tool-uses';
export * from './serialize';
export * from './session-state';
export * from './session-status';
export * from './turn-keys';
export * from './typed-events';
export * from './webhook-outbox';
