/**
 * @module @stratus/gateway
 * The SSE gateway as a feature module, so the all-in-one process can compose it with the API
 * and the worker.
 */
export { GatewayEnv, parseGatewayEnv } from './config/gateway-env';
export { GatewayAppModule, GatewayModule } from './gateway.module';
