/**
 * @module @stratus/testing
 * Fixtures for tests against real infrastructure. Never imported by production code.
 */
export * from './all-in-one';
export * from './database';
export * from './eventually';
export * from './processes';
export * from './redis';
export * from './redis-server';
export * from './scripted-model';
export * from './tcp-proxy';
export * from './sandbox-runner';
