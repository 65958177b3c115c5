import type { CreateEnvironmentRequest, Environment, EnvironmentDeleted, UpdateEnvironmentRequest } from '@stratus/contracts';
import type { PageList } from '../core/pagination.js';
import { APIResource, segment } from '../core/resource.js';
import type { InputOf, OutputOf, RequestOptions } from '../core/types.js';
import { listQuery, type ArchivableListParams } from './shared.js';

export type EnvironmentCreateParams = InputOf<typeof CreateEnvironmentRequest>;
export type EnvironmentUpdateParams = InputOf<typeof UpdateEnvironmentRequest>;
export type EnvironmentListParams = ArchivableListParams;
export type EnvironmentDeleteResult = OutputOf<typeof EnvironmentDeleted>;

/** `/environments`: the sandbox configuration sessions run in. */
export class Environments extends APIResource {
  create(body: EnvironmentCreateParams, options?: RequestOptions): Promise<Environment> {
    return this.transport.request('POST', '/environments', { ...options, body });
  }

  retrieve(environmentId: string, options?: RequestOptions): Promise<Environment> {
    return this.transport.request('GET', `/environments/${segment(environmentId)}`, options);
  }

  update(environmentId: string, body: EnvironmentUpdateParams, options?: RequestOptions): Promise<Environment> {
    return this.transport.request('POST', `/environments/${segment(environmentId)}`, { ...options, body });
  }

  list(params: EnvironmentListParams = {}, options?: RequestOptions): PageList<Environment> {
    return this.paginate<Environment>('/environments', listQuery(params), options);
  }

  archive(environmentId: string, options?: RequestOptions): Promise<Environment> {
    return this.transport.request('POST', `/environments/${segment(environmentId)}/archive`, options);
  }

  /** Fails with a ConflictError while a session that is not archived uses the environment. */
  delete(environmentId: string, options?: RequestOptions): Promise<EnvironmentDeleteResult> {
    return this.transport.request('DELETE', `/environments/${segment(environmentId)}`, options);
  }
}
