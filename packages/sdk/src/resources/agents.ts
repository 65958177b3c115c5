import type { Agent, CreateAgentRequest, UpdateAgentRequest } from '@stratus/contracts';
import type { PageList, ListParams } from '../core/pagination.js';
import { APIResource, segment } from '../core/resource.js';
import type { InputOf, RequestOptions } from '../core/types.js';
import { listQuery, type ArchivableListParams } from './shared.js';

export type AgentCreateParams = InputOf<typeof CreateAgentRequest>;
export type AgentUpdateParams = InputOf<typeof UpdateAgentRequest>;
export type AgentListParams = ArchivableListParams;

/** `/agents`: versioned agent definitions. There is no delete: archive an agent instead. */
export class Agents extends APIResource {
  create(body: AgentCreateParams, options?: RequestOptions): Promise<Agent> {
    return this.transport.request('POST', '/agents', { ...options, body });
  }

  /** The latest version, or the one asked for. */
  retrieve(agentId: string, params: { version?: number } = {}, options?: RequestOptions): Promise<Agent> {
    return this.transport.request('GET', `/agents/${segment(agentId)}`, { ...options, query: params });
  }

  /** Creates the next version; send `version` to fail with a ConflictError if someone else updated it first. */
  update(agentId: string, body: AgentUpdateParams, options?: RequestOptions): Promise<Agent> {
    return this.transport.request('POST', `/agents/${segment(agentId)}`, { ...options, body });
  }

  list(params: AgentListParams = {}, options?: RequestOptions): PageList<Agent> {
    return this.paginate<Agent>('/agents', listQuery(params), options);
  }

  archive(agentId: string, options?: RequestOptions): Promise<Agent> {
    return this.transport.request('POST', `/agents/${segment(agentId)}/archive`, options);
  }

  /** Every version of an agent, newest first by default. */
  versions(agentId: string, params: ListParams = {}, options?: RequestOptions): PageList<Agent> {
    return this.paginate<Agent>(`/agents/${segment(agentId)}/versions`, { ...params }, options);
  }
}
