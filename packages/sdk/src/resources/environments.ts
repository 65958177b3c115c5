import type { CreateEnvironmentRequest, Environment, EnvironmentDeleted, UpdateEnvironmentRequest } from '@stratus/contracts';
import type { InputOf, OutputOf, RequestOptions } from '../core/types.js';
import { CollectionResource } from './collection.js';
import type { ArchivableListParams } from './shared.js';

export type EnvironmentCreateParams = InputOf<typeof CreateEnvironmentRequest>;
export type EnvironmentUpdateParams = InputOf<typeof UpdateEnvironmentRequest>;
export type EnvironmentListParams = ArchivableListParams;
export type EnvironmentDeleteResult = OutputOf<typeof EnvironmentDeleted>;

/** `/environments`: the sandbox configuration sessions run in. */
export class Environments extends CollectionResource<Environment, EnvironmentCreateParams, EnvironmentUpdateParams, EnvironmentListParams> {
  protected readonly path = '/environments';

  retrieve(environmentId: string, options?: RequestOptions): Promise<Environment> {
    return this.retrieveObject(environmentId, options);
  }

  archive(environmentId: string, options?: RequestOptions): Promise<Environment> {
    return this.archiveObject(environmentId, options);
  }

  /** Fails with a ConflictError while a session that is not archived uses the environment. */
  delete(environmentId: string, options?: RequestOptions): Promise<EnvironmentDeleteResult> {
    return this.deleteObject(environmentId, options);
  }
}
