import type { Watch } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { Listed } from './kube-api';

/** The fields of an object a collection needs: its name and resourceVersion. */
export interface NamedObject {
  metadata?: { name?: string; resourceVersion?: string };
}

export type CollectionEvent = 'ADDED' | 'MODIFIED' | 'DELETED';
export type CollectionListener<T> = (event: CollectionEvent, object: T) => void;

export interface WatchedCollectionOptions<T> {
  /** The collection's path, e.g. /api/v1/namespaces/sandboxes/pods. */
  path: string;
  labelSelector: string;
  list(): Promise<Listed<T>>;
  watcher: Watch;
  onError?(error: unknown): void;
  /** Server-side watch timeout; the watch is re-opened from the last resourceVersion after it. */
  watchTimeoutSeconds?: number;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

/**
 * A list-then-watch cache of one collection (an informer): it lists once, then watches from the
 * list's resourceVersion, resuming from the last seen resourceVersion (bookmarks included) whenever
 * the watch ends, and lists again only when the server says that version is gone (410 Expired).
 * Listeners see every change, so waiting for a pod is event-driven, never polling.
 */
export class WatchedCollection<T extends NamedObject> {
  private readonly objects = new Map<string, T>();
  private readonly listeners = new Set<CollectionListener<T>>();
  private resourceVersion = '';
  private stopped = false;
  private abort?: AbortController;
  private synced?: Promise<void>;

  constructor(private readonly options: WatchedCollectionOptions<T>) {}

  /** Lists the collection and starts watching; resolves once the cache holds the listed objects. */
  async start(): Promise<void> {
    this.synced ??= this.relist().then(() => {
      void this.loop();
    });
    return this.synced;
  }

  get(name: string): T | undefined {
    return this.objects.get(name);
  }

  values(): T[] {
    return [...this.objects.values()];
  }

  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: CollectionListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private emit(event: CollectionEvent, object: T): void {
    for (const listener of [...this.listeners]) listener(event, object);
  }

  private async relist(): Promise<void> {
    const listed = await this.options.list();
    const seen = new Set<string>();
    for (const item of listed.items) {
      const name = item.metadata?.name ?? '';
      seen.add(name);
      const known = this.objects.get(name);
      this.objects.set(name, item);
      if (known === undefined) this.emit('ADDED', item);
      else if (known.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit('MODIFIED', item);
    }
    for (const [name, object] of this.objects) {
      if (seen.has(name)) continue;
      this.objects.delete(name);
      this.emit('DELETED', object);
    }
    this.resourceVersion = listed.resourceVersion;
  }

  private async loop(): Promise<void> {
    let backoffMs = 0;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === '') await this.relist();
        const error = await this.watchOnce();
        if (this.stopped) return;
        if (error === undefined) {
          backoffMs = 0;
          continue;
        }
        this.options.onError?.(error);
      } catch (error) {
        if (this.stopped) return;
        this.options.onError?.(error);
      }
      backoffMs = Math.min(Math.max(backoffMs * 2, MIN_BACKOFF_MS), MAX_BACKOFF_MS);
      await new Promise((resolve) => setTimeout(resolve, backoffMs).unref());
    }
  }

  /** One watch request; resolves when it ends, with the error if it ended with one. */
  private async watchOnce(): Promise<unknown> {
    return new Promise<unknown>((resolve) => {
      const params = {
        resourceVersion: this.resourceVersion,
        labelSelector: this.options.labelSelector,
        allowWatchBookmarks: true,
        timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
      };
      const onEvent = (type: string, object: unknown) => this.apply(type, object);
      this.options.watcher.watch(this.options.path, params, onEvent, (error: unknown) => resolve(error ?? undefined)).then(
        (abort) => {
          this.abort = abort;
          if (this.stopped) abort.abort();
        },
        (error: unknown) => resolve(error),
      );
    });
  }

  private apply(type: string, object: unknown): void {
    if (type === 'ERROR') {
      // 410 Expired: the version we resume from was compacted away; list again.
      if ((object as { code?: number }).code === 410) this.resourceVersion = '';
      return;
    }
    const item = object as T;
    const version = item.metadata?.resourceVersion;
    if (version !== undefined) this.resourceVersion = version;
    if (type === 'BOOKMARK') return;
    const name = item.metadata?.name ?? '';
    if (type === 'DELETED') {
      this.objects.delete(name);
      this.emit('DELETED', item);
    } else if (type === 'ADDED' || type === 'MODIFIED') {
      const known = this.objects.has(name);
      this.objects.set(name, item);
      this.emit(known ? 'MODIFIED' : 'ADDED', item);
    }
  }
}
