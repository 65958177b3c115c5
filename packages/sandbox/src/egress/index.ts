/**
 * @module @stratus/sandbox/egress
 * What the egress proxy shares with the providers: host matching, the per-mode decision and the
 * signed per-sandbox proxy credential. Free of Kubernetes and process code so the proxy stays small.
 */
export * from './egress-policy';
export * from './egress-credential';
