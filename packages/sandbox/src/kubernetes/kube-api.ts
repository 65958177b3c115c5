import type {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  V1Job,
  V1NetworkPolicy,
  V1OwnerReference,
  V1Pod,
  V1Secret,
  V1Service,
  Watch,
} from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { canonicalJson } from '../canonical-json';

/** How to reach the cluster: a kubeconfig file, kubeconfig text, or (neither) the default loading rules. */
export interface KubeConnection {
  /** Path of a kubeconfig file. */
  kubeconfigPath?: string;
  /** A kubeconfig's YAML (or JSON) text. */
  kubeconfig?: string;
  /** The kubeconfig context to use; default its current-context. */
  context?: string;
}

/** The API server answered with an error Status; `reason` is its machine-readable reason (NotFound, AlreadyExists, ...). */
export class KubeApiError extends Error {
  override name = 'KubeApiError';

  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One JSON Patch (RFC 6902) operation. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** A List's items and the resourceVersion to start a watch from. */
export interface Listed<T> {
  items: T[];
  resourceVersion: string;
}

/** Escapes a label or annotation key for a JSON Pointer (RFC 6901). */
export function jsonPointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function toKubeApiError(error: unknown): unknown {
  const candidate = error as { code?: unknown; body?: unknown; message?: string };
  if (typeof candidate?.code !== 'number') return error;
  let body = candidate.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // not a Status
    }
  }
  const status = (body ?? {}) as { reason?: string; message?: string };
  return new KubeApiError(candidate.code, status.reason ?? 'Unknown', status.message ?? `Kubernetes API error ${candidate.code}`, { cause: error });
}

async function translated<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw toKubeApiError(error);
  }
}

/** True for a KubeApiError with this status. */
export function isStatus(error: unknown, status: number): boolean {
  return error instanceof KubeApiError && error.status === status;
}

/**
 * The Kubernetes calls the sandbox provider makes, all in one namespace, on @kubernetes/client-node.
 * The client is loaded on first connect: it takes about half a second to load and only the
 * Kubernetes provider needs it.
 */
export class SandboxKubeApi {
  private constructor(
    readonly namespace: string,
    readonly config: KubeConfig,
    readonly watcher: Watch,
    private readonly core: CoreV1Api,
    private readonly batch: BatchV1Api,
    private readonly networking: NetworkingV1Api,
  ) {}

  /** Loads the client and the kubeconfig (in-cluster service account when there is no other). */
  static async connect(connection: KubeConnection, namespace: string): Promise<SandboxKubeApi> {
    const k8s = await import('@kubernetes/client-node');
    const config = new k8s.KubeConfig();
    if (connection.kubeconfig !== undefined) config.loadFromString(connection.kubeconfig);
    else if (connection.kubeconfigPath !== undefined) config.loadFromFile(connection.kubeconfigPath);
    else config.loadFromDefault();
    if (connection.context !== undefined) config.setCurrentContext(connection.context);
    return new SandboxKubeApi(
      namespace,
      config,
      new k8s.Watch(config),
      config.makeApiClient(k8s.CoreV1Api),
      config.makeApiClient(k8s.BatchV1Api),
      config.makeApiClient(k8s.NetworkingV1Api),
    );
  }

  async createSecret(body: V1Secret): Promise<V1Secret> {
    return translated(this.core.createNamespacedSecret({ namespace: this.namespace, body }));
  }

  async createJob(body: V1Job): Promise<V1Job> {
    return translated(this.batch.createNamespacedJob({ namespace: this.namespace, body }));
  }

  async readJob(name: string): Promise<V1Job | undefined> {
    try {
      return await translated(this.batch.readNamespacedJob({ name, namespace: this.namespace }));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async readSecret(name: string): Promise<V1Secret | undefined> {
    try {
      return await translated(this.core.readNamespacedSecret({ name, namespace: this.namespace }));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /** A Service of any namespace (the egress proxy's lives in the control namespace). */
  async readService(namespace: string, name: string): Promise<V1Service | undefined> {
    try {
      return await translated(this.core.readNamespacedService({ name, namespace }));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /** Makes the Secret a dependent of its Job, so the garbage collector deletes it with the Job. */
  async setSecretOwner(name: string, owner: V1OwnerReference): Promise<void> {
    await translated(this.core.patchNamespacedSecret({ name, namespace: this.namespace, body: [{ op: 'add', path: '/metadata/ownerReferences', value: [owner] }] }));
  }

  async patchJob(name: string, operations: JsonPatchOperation[]): Promise<V1Job> {
    return translated(this.batch.patchNamespacedJob({ name, namespace: this.namespace, body: operations }));
  }

  async patchPod(name: string, operations: JsonPatchOperation[]): Promise<V1Pod> {
    return translated(this.core.patchNamespacedPod({ name, namespace: this.namespace, body: operations }));
  }

  /**
   * Deletes a Job and, in the background, its pods. Without an explicit propagation policy the API
   * would orphan them: batch/v1 Jobs default to orphaning their pods. Already gone is fine.
   */
  async deleteJob(name: string): Promise<void> {
    await this.ignoreNotFound(this.batch.deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy: 'Background' }));
  }

  async deleteSecret(name: string): Promise<void> {
    await this.ignoreNotFound(this.core.deleteNamespacedSecret({ name, namespace: this.namespace }));
  }

  async listJobs(labelSelector: string): Promise<Listed<V1Job>> {
    const list = await translated(this.batch.listNamespacedJob({ namespace: this.namespace, labelSelector }));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async listPods(labelSelector: string): Promise<Listed<V1Pod>> {
    const list = await translated(this.core.listNamespacedPod({ namespace: this.namespace, labelSelector }));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async listSecrets(labelSelector: string): Promise<Listed<V1Secret>> {
    const list = await translated(this.core.listNamespacedSecret({ namespace: this.namespace, labelSelector }));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** Creates the policy, or replaces it when one of that name differs from it. */
  async applyNetworkPolicy(policy: V1NetworkPolicy): Promise<'created' | 'updated' | 'unchanged'> {
    const name = policy.metadata?.name ?? '';
    try {
      await translated(this.networking.createNamespacedNetworkPolicy({ namespace: this.namespace, body: policy }));
      return 'created';
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
    const current = await translated(this.networking.readNamespacedNetworkPolicy({ name, namespace: this.namespace }));
    if (canonicalJson(current.spec) === canonicalJson(policy.spec)) return 'unchanged';
    await translated(
      this.networking.replaceNamespacedNetworkPolicy({
        name,
        namespace: this.namespace,
        body: { ...policy, metadata: { ...policy.metadata, resourceVersion: current.metadata?.resourceVersion } },
      }),
    );
    return 'updated';
  }

  /** The namespaced collection path of a resource, for watches: `/api/v1/namespaces/<ns>/pods`. */
  collectionPath(resource: 'pods' | 'jobs'): string {
    return resource === 'pods' ? `/api/v1/namespaces/${this.namespace}/pods` : `/apis/batch/v1/namespaces/${this.namespace}/jobs`;
  }

  private async ignoreNotFound(call: Promise<unknown>): Promise<void> {
    try {
      await translated(call);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }
}
