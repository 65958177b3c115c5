import { Inject, Injectable } from '@nestjs/common';
import { CreateAgentRequest, UpdateAgentRequest, type Agent, type AgentDefinition, type Page } from '@stratus/contracts';
import type { ModelCatalog } from '@stratus/models';
import { boolParam, conflict, createdAtRange, invalidRequest, MODEL_CATALOG, notFound, parseOrThrow, type Query, stringParam } from '@stratus/nest-common';
import { paginate, parseListParams } from '../common/pagination';
import { definitionOf, toAgent } from './agent.mapper';
import { AgentsRepository, type AgentWithVersion } from './agents.repository';

const DEFINITION_KEYS = ['name', 'description', 'model', 'system', 'tools', 'mcp_servers', 'metadata'] as const;

function parseVersion(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalidRequest('version: must be a positive integer.', 'version');
  return Number(raw);
}

@Injectable()
export class AgentsService {
  constructor(
    private readonly agents: AgentsRepository,
    @Inject(MODEL_CATALOG) private readonly models: ModelCatalog,
  ) {}

  private checkModel(model: string): void {
    if (!this.models.has(model)) throw invalidRequest(`Unknown model "${model}"; GET /models lists the models of this deployment.`, 'model');
  }

  async create(workspaceId: string, body: unknown): Promise<Agent> {
    const input = parseOrThrow(CreateAgentRequest, body);
    this.checkModel(input.model);
    const created = await this.agents.create(workspaceId, input);
    return toAgent(created.agent, created.version);
  }

  /** The agent at its current version, or at `?version=N`. */
  async get(workspaceId: string, id: string, query: Query = {}): Promise<Agent> {
    const version = parseVersion(stringParam(query, 'version'));
    const found = await this.agents.find(workspaceId, id, version);
    if (!found) {
      if (version !== undefined && (await this.agents.exists(workspaceId, id))) throw notFound('Version', `${version} of agent ${id}`, 'version');
      throw notFound('Agent', id);
    }
    return toAgent(found.agent, found.version);
  }

  /**
   * Creates version N+1 with the changed fields. A `version` in the body must equal the current
   * one (optimistic concurrency); an update that changes nothing creates no version.
   */
  async update(workspaceId: string, id: string, body: unknown): Promise<Agent> {
    const input = parseOrThrow(UpdateAgentRequest, body);
    const current = await this.agents.find(workspaceId, id);
    if (!current) throw notFound('Agent', id);
    if (current.agent.archivedAt) throw conflict(`Agent ${id} is archived and cannot be updated.`);
    if (input.version !== undefined && input.version !== current.agent.currentVersion) {
      throw conflict(`Agent ${id} is at version ${current.agent.currentVersion}, not ${input.version}.`, 'version');
    }
    if (input.model !== undefined) this.checkModel(input.model);
    const before = definitionOf(current.version);
    const after: AgentDefinition = { ...before };
    for (const key of DEFINITION_KEYS) {
      if (input[key] !== undefined) (after as unknown as Record<string, unknown>)[key] = input[key];
    }
    if (after.tools.some((t) => t.type === 'mcp_toolset' && !after.mcp_servers.some((s) => s.name === t.mcp_server_name))) {
      throw invalidRequest('An mcp_toolset names an MCP server that is not in mcp_servers.', 'tools');
    }
    if (JSON.stringify(after) === JSON.stringify(before)) return toAgent(current.agent, current.version);
    const updated = await this.agents.addVersion(id, current.agent.currentVersion, after);
    if (!updated) throw conflict(`Agent ${id} was changed concurrently; read it again and retry.`, 'version');
    return toAgent(updated.agent, updated.version);
  }

  async archive(workspaceId: string, id: string): Promise<Agent> {
    const found = await this.agents.find(workspaceId, id);
    if (!found) throw notFound('Agent', id);
    if (!found.agent.archivedAt) await this.agents.archive(id);
    return this.get(workspaceId, id);
  }

  async list(workspaceId: string, query: Query): Promise<Page<Agent>> {
    const params = parseListParams(query, 'desc');
    const filter = { includeArchived: boolParam(query, 'include_archived') ?? false, createdAt: createdAtRange(query) };
    const page = await paginate(
      params,
      async (cursorId) => ((await this.agents.exists(workspaceId, cursorId)) ? cursorId : undefined),
      (slice) => this.agents.listSlice(workspaceId, filter, slice),
      (row: AgentWithVersion) => row.agent.id,
    );
    return { ...page, data: page.data.map((row) => toAgent(row.agent, row.version)) };
  }

  /** Every version of an agent, newest first by default; cursors are version numbers. */
  async listVersions(workspaceId: string, id: string, query: Query): Promise<Page<Agent>> {
    const found = await this.agents.find(workspaceId, id);
    if (!found) throw notFound('Agent', id);
    const params = parseListParams(query, 'desc');
    const page = await paginate(
      params,
      async (cursorId) => {
        const version = /^\d+$/.test(cursorId) ? Number(cursorId) : NaN;
        return version >= 1 && version <= found.agent.currentVersion ? version : undefined;
      },
      (slice) => this.agents.listVersionsSlice(id, slice),
      (row) => String(row.version),
    );
    return { ...page, data: page.data.map((version) => toAgent(found.agent, version)) };
  }
}
