import { apiVersionOf, newUid, RESOURCE_TYPES, type KubeObject, type ResourceName } from './resources';
import { failures } from './status';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as recorded in the history that watches replay from a resourceVersion. */
export interface StoreEvent {
  revision: number;
  resource: ResourceName;
  type: WatchEventType;
  object: KubeObject;
  /** The object before a MODIFIED change; a label-selected watch needs it to tell entering from leaving. */
  previous?: KubeObject;
}

type Listener = (event: StoreEvent) => void;

function key(resource: ResourceName, namespace: string, name: string): string {
  return `${resource}/${namespace}/${name}`;
}

/**
 * The objects of the test cluster, like etcd behind an API server: one global revision that every
 * write advances (an object's resourceVersion is the revision that last wrote it), a bounded history
 * of changes for watches to resume from, and listeners for the controllers and open watches.
 */
export class ObjectStore {
  private revision = 0;
  private readonly objects = new Map<string, KubeObject>();
  private history: StoreEvent[] = [];
  private readonly listeners = new Set<Listener>();

  constructor(private readonly historyLimit = 10_000) {}

  get currentRevision(): number {
    return this.revision;
  }

  /** The oldest revision a watch can still resume from (older ones get 410 Expired). */
  get oldestResumableRevision(): number {
    return this.history.length === 0 ? this.revision : this.history[0]!.revision - 1;
  }

  get(resource: ResourceName, namespace: string, name: string): KubeObject | undefined {
    const found = this.objects.get(key(resource, namespace, name));
    return found === undefined ? undefined : structuredClone(found);
  }

  list(resource: ResourceName, namespace?: string): KubeObject[] {
    return [...this.objects.values()]
      .filter((o) => o.kind === RESOURCE_TYPES[resource].kind && (namespace === undefined || o.metadata.namespace === namespace))
      .map((o) => structuredClone(o));
  }

  /** History entries after `revision` (exclusive). */
  since(revision: number): StoreEvent[] {
    return this.history.filter((event) => event.revision > revision);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops all history, as etcd compaction does: watches resuming from before now get 410 Expired. */
  compact(): void {
    this.history = [];
  }

  create(resource: ResourceName, object: KubeObject): KubeObject {
    const type = RESOURCE_TYPES[resource];
    const k = key(resource, object.metadata.namespace, object.metadata.name);
    if (this.objects.has(k)) throw failures.alreadyExists(resource, type.group, object.metadata.name);
    const stored = structuredClone(object);
    stored.apiVersion = apiVersionOf(type);
    stored.kind = type.kind;
    stored.metadata.uid ||= newUid();
    stored.metadata.creationTimestamp ||= new Date().toISOString();
    return this.write(resource, k, stored, 'ADDED');
  }

  /** Writes a new version of an existing object; with `expectedVersion`, fails with 409 Conflict if it changed. */
  update(resource: ResourceName, object: KubeObject, expectedVersion?: string): KubeObject {
    const type = RESOURCE_TYPES[resource];
    const k = key(resource, object.metadata.namespace, object.metadata.name);
    const current = this.objects.get(k);
    if (current === undefined) throw failures.notFound(resource, type.group, object.metadata.name);
    if (expectedVersion !== undefined && expectedVersion !== '' && expectedVersion !== current.metadata.resourceVersion) {
      throw failures.conflict(resource, type.group, object.metadata.name);
    }
    const stored = structuredClone(object);
    stored.metadata.uid = current.metadata.uid;
    stored.metadata.creationTimestamp = current.metadata.creationTimestamp;
    return this.write(resource, k, stored, 'MODIFIED', current);
  }

  /** Reads, changes and writes an object in one step (controllers updating status). Undefined if it is gone. */
  mutate(resource: ResourceName, namespace: string, name: string, change: (object: KubeObject) => void): KubeObject | undefined {
    const current = this.get(resource, namespace, name);
    if (current === undefined) return undefined;
    change(current);
    return this.update(resource, current);
  }

  /** Removes an object for good (finalizers are not modelled). */
  remove(resource: ResourceName, namespace: string, name: string): KubeObject | undefined {
    const k = key(resource, namespace, name);
    const current = this.objects.get(k);
    if (current === undefined) return undefined;
    this.objects.delete(k);
    this.revision++;
    const removed = structuredClone(current);
    removed.metadata.resourceVersion = String(this.revision);
    this.record({ revision: this.revision, resource, type: 'DELETED', object: removed });
    return removed;
  }

  /** Objects of any kind whose ownerReferences name `uid`. */
  dependentsOf(uid: string): { resource: ResourceName; object: KubeObject }[] {
    const found: { resource: ResourceName; object: KubeObject }[] = [];
    for (const [k, object] of this.objects) {
      if (object.metadata.ownerReferences?.some((ref) => ref.uid === uid)) found.push({ resource: k.split('/')[0] as ResourceName, object: structuredClone(object) });
    }
    return found;
  }

  private write(resource: ResourceName, k: string, object: KubeObject, type: WatchEventType, previous?: KubeObject): KubeObject {
    this.revision++;
    object.metadata.resourceVersion = String(this.revision);
    this.objects.set(k, object);
    this.record({ revision: this.revision, resource, type, object: structuredClone(object), previous: previous === undefined ? undefined : structuredClone(previous) });
    return structuredClone(object);
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const listener of [...this.listeners]) listener(event);
  }
}
