import type { Model } from '@stratus/contracts';
import { APIResource } from '../core/resource.js';
import type { PageList } from '../core/pagination.js';
import type { RequestOptions } from '../core/types.js';

/** `/models`: the models this deployment serves. */
export class Models extends APIResource {
  list(options?: RequestOptions): PageList<Model> {
    return this.paginate<Model>('/models', {}, options);
  }
}
