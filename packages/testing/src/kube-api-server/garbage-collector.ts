import type { ObjectStore } from './object-store';
import { RESOURCE_TYPES, type KubeObject, type ResourceName } from './resources';
import { failures } from './status';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
}

/**
 * DELETE as the API server and garbage collector carry it out. A pod on a node is only marked (its
 * deletionTimestamp set) and disappears once the kubelet has stopped it; anything else goes at once.
 * Dependents (by ownerReferences) are then deleted in the background, or orphaned (their owner
 * reference removed) — the default for batch/v1 Jobs, whose pods outlive a plain DELETE.
 */
export function deleteObject(store: ObjectStore, resource: ResourceName, namespace: string, name: string, options: DeleteOptions = {}): { object: KubeObject; gone: boolean } {
  const type = RESOURCE_TYPES[resource];
  const current = store.get(resource, namespace, name);
  if (current === undefined) throw failures.notFound(resource, type.group, name);
  const spec = current.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
  if (resource === 'pods' && spec?.nodeName !== undefined && options.gracePeriodSeconds !== 0) {
    if (current.metadata.deletionTimestamp !== undefined) return { object: current, gone: false };
    const marked = store.mutate(resource, namespace, name, (pod) => {
      pod.metadata.deletionTimestamp = new Date().toISOString();
      pod.metadata.deletionGracePeriodSeconds = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    });
    return { object: marked ?? current, gone: false };
  }
  const policy = options.propagationPolicy ?? type.defaultPropagation;
  const dependents = store.dependentsOf(current.metadata.uid);
  if (policy === 'Foreground') cascade(store, dependents);
  const removed = store.remove(resource, namespace, name) ?? current;
  if (policy === 'Orphan') {
    for (const { resource: r, object } of dependents) {
      store.mutate(r, object.metadata.namespace, object.metadata.name, (dependent) => {
        dependent.metadata.ownerReferences = dependent.metadata.ownerReferences?.filter((ref) => ref.uid !== current.metadata.uid);
        if (dependent.metadata.ownerReferences?.length === 0) delete dependent.metadata.ownerReferences;
      });
    }
  } else if (policy === 'Background') {
    // The garbage collector runs apart from the request: dependents go shortly after the owner.
    setImmediate(() => cascade(store, dependents));
  }
  return { object: removed, gone: true };
}

function cascade(store: ObjectStore, dependents: { resource: ResourceName; object: KubeObject }[]): void {
  for (const { resource, object } of dependents) {
    if (store.get(resource, object.metadata.namespace, object.metadata.name) === undefined) continue;
    deleteObject(store, resource, object.metadata.namespace, object.metadata.name, { propagationPolicy: 'Background' });
  }
}
