import type { PageList } from '../core/pagination.js';
import { APIResource, segment } from '../core/resource.js';
import type { RequestOptions } from '../core/types.js';
import { listQuery, type ArchivableListParams } from './shared.js';

/**
 * A collection at a fixed path (`/vaults`) whose objects live at `<path>/{id}`: create, update and list
 * are the same for every one, and so is how a subclass reaches an object and its actions (`archive`).
 * `Created` is what create answers, when it is more than the object (a webhook's carries its secret).
 */
export abstract class CollectionResource<T, CreateParams, UpdateParams, ListQuery extends ArchivableListParams, Created = T> extends APIResource {
  /** The collection's path, e.g. `/vaults`. */
  protected abstract readonly path: string;

  create(body: CreateParams, options?: RequestOptions): Promise<Created> {
    return this.transport.request('POST', this.path, { ...options, body });
  }

  update(id: string, body: UpdateParams, options?: RequestOptions): Promise<T> {
    return this.transport.request('POST', this.objectPath(id), { ...options, body });
  }

  list(params: ListQuery = {} as ListQuery, options?: RequestOptions): PageList<T> {
    return this.paginate<T>(this.path, listQuery(params), options);
  }

  /** `<path>/{id}`, or an action of the object: `<path>/{id}/<action>`. */
  protected objectPath(id: string, action?: string): string {
    return `${this.path}/${segment(id)}${action === undefined ? '' : `/${action}`}`;
  }

  protected retrieveObject(id: string, options?: RequestOptions): Promise<T> {
    return this.transport.request('GET', this.objectPath(id), options);
  }

  protected archiveObject(id: string, options?: RequestOptions): Promise<T> {
    return this.transport.request('POST', this.objectPath(id, 'archive'), options);
  }

  protected deleteObject<R>(id: string, options?: RequestOptions): Promise<R> {
    return this.transport.request('DELETE', this.objectPath(id), options);
  }
}
