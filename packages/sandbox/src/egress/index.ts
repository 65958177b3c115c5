/**
 * @module @stratus/sandbox/egress
 * What the egress proxy shares with the providers: the signed per-sandbox proxy credential (the
 * per-mode decision lives in @stratus/sandbox-protocol). Free of Kubernetes and process code so the proxy stays small.
 */
export * from './egress-credential';
