import { Injectable } from '@nestjs/common';
import { CreateEnvironmentRequest, UpdateEnvironmentRequest, type Environment, type Page } from '@stratus/contracts';
import { boolParam, conflict, createdAtRange, notFound, parseOrThrow, type Query } from '@stratus/nest-common';
import { paginate, parseListParams } from '../common/pagination';
import { EnvironmentLimits } from './environment-limits';
import { toEnvironment } from './environment.mapper';
import { DuplicateNameError, EnvironmentsRepository } from './environments.repository';

@Injectable()
export class EnvironmentsService {
  constructor(
    private readonly environments: EnvironmentsRepository,
    private readonly limits: EnvironmentLimits,
  ) {}

  async create(workspaceId: string, body: unknown): Promise<Environment> {
    const input = parseOrThrow(CreateEnvironmentRequest, body);
    this.limits.check(input.config);
    try {
      return toEnvironment(await this.environments.create(workspaceId, input));
    } catch (error) {
      if (error instanceof DuplicateNameError) throw conflict(`An environment named "${input.name}" already exists.`, 'name');
      throw error;
    }
  }

  async get(workspaceId: string, id: string): Promise<Environment> {
    const row = await this.environments.find(workspaceId, id);
    if (!row) throw notFound('Environment', id);
    return toEnvironment(row);
  }

  /** Changes apply to sandboxes started afterwards; running ones keep their configuration. */
  async update(workspaceId: string, id: string, body: unknown): Promise<Environment> {
    const input = parseOrThrow(UpdateEnvironmentRequest, body);
    if (input.config !== undefined) this.limits.check(input.config);
    const row = await this.environments.find(workspaceId, id);
    if (!row) throw notFound('Environment', id);
    if (row.archivedAt) throw conflict(`Environment ${id} is archived and cannot be updated.`);
    try {
      return toEnvironment(await this.environments.update(id, input));
    } catch (error) {
      if (error instanceof DuplicateNameError) throw conflict(`An environment named "${input.name}" already exists.`, 'name');
      throw error;
    }
  }

  async archive(workspaceId: string, id: string): Promise<Environment> {
    if (!(await this.environments.find(workspaceId, id))) throw notFound('Environment', id);
    return toEnvironment(await this.environments.archive(id));
  }

  async delete(workspaceId: string, id: string): Promise<{ id: string; type: 'environment_deleted' }> {
    if (!(await this.environments.find(workspaceId, id))) throw notFound('Environment', id);
    const outcome = await this.environments.deleteIfUnused(id);
    if (outcome === 'in_use') throw conflict(`Environment ${id} is used by a session that is not archived; archive or delete those sessions first.`);
    return { id, type: 'environment_deleted' };
  }

  async list(workspaceId: string, query: Query): Promise<Page<Environment>> {
    const params = parseListParams(query, 'desc');
    const filter = { includeArchived: boolParam(query, 'include_archived') ?? false, createdAt: createdAtRange(query) };
    const page = await paginate(
      params,
      async (cursorId) => ((await this.environments.exists(workspaceId, cursorId)) ? cursorId : undefined),
      (slice) => this.environments.listSlice(workspaceId, filter, slice),
      (row) => row.id,
    );
    return { ...page, data: page.data.map(toEnvironment) };
  }
}
