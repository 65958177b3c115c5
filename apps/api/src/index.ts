/**
 * @module @stratus/api
 * The control-plane API as a module, so the all-in-one process can compose it with the gateway
 * and the worker.
 */
export { ApiModule } from './api.module';
export { API_PREFIX } from './http/create-app';
export { prepare, startHttp, exitOnStartupError, type StartedApp } from './bootstrap/start-api';
export { parseApiEnv, type ApiEnv } from './config/env';
