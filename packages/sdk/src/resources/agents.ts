import type { Agent, CreateAgentRequest, UpdateAgentRequest } from '@stratus/contracts';
import type { PageList, ListParams } from '../core/pagination.js';
import type { InputOf, RequestOptions } from '../core/types.js';
import { CollectionResource } from './collection.js';
import type { ArchivableListParams } from './shared.js';

export type AgentCreateParams = InputOf<typeof CreateAgentRequest>;
export type AgentUpdateParams = InputOf<typeof UpdateAgentRequest>;
export type AgentListParams = ArchivableListParams;

/**
 * `/agents`: versioned agent definitions. `update` creates the next version; send `version` to fail with
 * a ConflictError if someone else updated it first. There is no delete: archive an agent instead.
 */
export class Agents extends CollectionResource<Agent, AgentCreateParams, AgentUpdateParams, AgentListParams> {
  protected readonly path = '/agents';

  /** The latest version, or the one asked for. */
  retrieve(agentId: string, params: { version?: number } = {}, options?: RequestOptions): Promise<Agent> {
    return this.transport.request('GET', this.objectPath(agentId), { ...options, query: params });
  }

  archive(agentId: string, options?: RequestOptions): Promise<Agent> {
    return this.archiveObject(agentId, options);
  }

  /** Every version of an agent, newest first by default. */
  versions(agentId: string, params: ListParams = {}, options?: RequestOptions): PageList<Agent> {
    return this.paginate<Agent>(this.objectPath(agentId, 'versions'), { ...params }, options);
  }
}
