import { PageList, type PageLike } from './pagination.js';
import type { Transport } from './transport.js';
import type { Query, RequestOptions } from './types.js';

/** A group of endpoints sharing the client's transport. */
export abstract class APIResource {
  constructor(protected readonly transport: Transport) {}

  /**
   * A paginated GET: the first page with `query`; the next ones with `page=<next_page>` and the same
   * filters (the cursor carries the position and the order).
   */
  protected paginate<T>(path: string, query: Query, options: RequestOptions = {}): PageList<T> {
    return new PageList<T>((cursor) => {
      const pageQuery: Query = cursor === undefined ? query : { ...query, after_id: undefined, before_id: undefined, order: undefined, page: cursor };
      return this.transport.request<PageLike<T>>('GET', path, { ...options, query: pageQuery });
    });
  }
}

/** `encodeURIComponent` for a path segment: an id can never reach another route. */
export function segment(id: string): string {
  return encodeURIComponent(id);
}
