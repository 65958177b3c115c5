/**
 * @module @stratus/api
 * The control-plane API as a feature module, so the all-in-one process can compose it with the
 * gateway and the worker.
 */
export { ApiAppModule, ApiModule } from './api.module';
