/**
 * @module @stratus/models
 * Model providers from configuration, the catalog that GET /models serves, and the OpenAI SDK
 * clients that the worker calls models with (the built-in demo model included).
 */
export * from './catalog';
export * from './client';
export * from './config';
