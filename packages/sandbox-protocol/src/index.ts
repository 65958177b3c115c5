/**
 * @module @stratus/sandbox-protocol
 * One home for the contract between the sandbox runner (apps/sandbox-runner) and whatever starts and
 * calls it (packages/sandbox, the egress proxy, the fake kubelet in packages/testing): routes and
 * request/response schemas, the runner's environment and ready line, and the networking decision;
 * and the parts both sides run alike: a command's process group and output, the egress socket bridge.
 * Each side imports it, so nothing is written twice and a change to the wire is a type error on both.
 */
export * from './runner-routes';
export * from './runner-schemas';
export * from './runner-env';
export * from './ready-line';
export * from './networking';
export * from './json-text';
export * from './proxy-variables';
export * from './output-buffer';
export * from './command-process';
export * from './socket-bridge';
