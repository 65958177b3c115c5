/**
 * @module @stratus/egress-proxy
 * The egress proxy as a library, for tests and for embedding; `main.ts` runs it from env.
 */
export { createEgressProxy, type EgressProxyOptions, type ProxyLogger } from './proxy-server';
export { isPrivateAddress, type Resolver } from '@stratus/net-guard';
export { loadConfig, ConfigError, type ProxyConfig } from './config';
export { listenOnUnixSocket } from './unix-listener';
