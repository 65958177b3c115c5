/**
 * @module @stratus/testing/kube-api-server
 * A Kubernetes API test server with a fake kubelet that runs sandbox runners as local processes.
 * Its own entry point, so a test that needs only this does not load the database helpers.
 */
export { startKubeApiServer, type KubeApiServer, type KubeApiServerOptions, type RecordedRequest } from './kube-api-server';
export type { FakeKubelet, FakeKubeletOptions, PodFailure, PodTimings } from './fake-kubelet';
export type { ObjectStore, StoreEvent } from './object-store';
export type { KubeObject } from './resources';
