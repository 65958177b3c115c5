import { Inject, Injectable } from '@nestjs/common';
import { CreateSessionRequest, SessionStatus, toContentBlocks, UpdateSessionRequest, type Page, type Session } from '@stratus/contracts';
import type { SecretBox } from '@stratus/db';
import { newEvent, sessionDeletedEvent, type EventStore } from '@stratus/events';
import { boolParam, conflict, createdAtRange, enumArrayParam, EVENT_STORE, notFound, parseOrThrow, type Query, SECRET_BOX, stringParam } from '@stratus/nest-common';
import { AgentsRepository } from '../agents/agents.repository';
import { paginate, parseListParams } from '../common/pagination';
import { EnvironmentsRepository } from '../environments/environments.repository';
import { DispatchRepository } from '../turns/dispatch.repository';
import { VaultsRepository } from '../vaults/vaults.repository';
import { toSession } from './session.mapper';
import { SessionsRepository } from './sessions.repository';

export interface CancelResult {
  status: 200 | 202;
  body: { id: string; type: 'session'; status: SessionStatus };
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly agents: AgentsRepository,
    private readonly environments: EnvironmentsRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly dispatch: DispatchRepository,
    private readonly vaults: VaultsRepository,
  ) {}

  /** Creates a session bound to the latest agent version (an id) or a pinned one ({id, version}). */
  async create(workspaceId: string, body: unknown): Promise<Session> {
    const input = parseOrThrow(CreateSessionRequest, body);
    const ref = typeof input.agent === 'string' ? { id: input.agent } : input.agent;
    const agent = await this.agents.find(workspaceId, ref.id, ref.version);
    if (!agent) {
      if (ref.version !== undefined && (await this.agents.exists(workspaceId, ref.id))) {
        throw notFound('Version', `${ref.version} of agent ${ref.id}`, 'agent.version');
      }
      throw notFound('Agent', ref.id, 'agent');
    }
    if (agent.agent.archivedAt) throw conflict(`Agent ${ref.id} is archived and cannot back new sessions.`, 'agent');
    const environment = await this.environments.find(workspaceId, input.environment_id);
    if (!environment) throw notFound('Environment', input.environment_id, 'environment_id');
    if (environment.archivedAt) throw conflict(`Environment ${input.environment_id} is archived.`, 'environment_id');
    await this.checkVaults(workspaceId, input.vault_ids);

    const vars = input.environment_variables;
    const created = await this.sessions.create({
      workspaceId,
      agentId: agent.agent.id,
      agentVersion: agent.version.version,
      environmentId: environment.id,
      title: input.title,
      metadata: input.metadata,
      environmentVariables: Object.keys(vars).length ? this.secrets.seal(vars) : null,
      vaultIds: [...new Set(input.vault_ids)],
      initialEvents: input.initial_events.map((event) => newEvent('user.message', { content: toContentBlocks(event.content) })),
    });
    // The environment was deleted or archived between the check above and the insert.
    if (!created) throw conflict(`Environment ${input.environment_id} is no longer available.`, 'environment_id');
    const lastInitial = created.events.at(-1);
    // Nothing else starts here: the session's sandbox is started by the first turn that needs one.
    if (lastInitial) await this.dispatch.enqueue(created.session.id, lastInitial.seq);
    return toSession(created.session);
  }

  /** Every vault a session names must be a vault of its workspace that is not archived. */
  private async checkVaults(workspaceId: string, vaultIds: string[]): Promise<void> {
    for (const [i, vaultId] of vaultIds.entries()) {
      const vault = await this.vaults.find(workspaceId, vaultId);
      if (!vault) throw notFound('Vault', vaultId, `vault_ids.${i}`);
      if (vault.archivedAt) throw conflict(`Vault ${vaultId} is archived.`, `vault_ids.${i}`);
    }
  }

  async get(workspaceId: string, id: string): Promise<Session> {
    const row = await this.sessions.find(workspaceId, id);
    if (!row) throw notFound('Session', id);
    return toSession(row);
  }

  async update(workspaceId: string, id: string, body: unknown): Promise<Session> {
    const input = parseOrThrow(UpdateSessionRequest, body);
    if (!(await this.sessions.exists(workspaceId, id))) throw notFound('Session', id);
    return toSession(await this.sessions.update(id, input));
  }

  async archive(workspaceId: string, id: string): Promise<Session> {
    const row = await this.sessions.find(workspaceId, id);
    if (!row) throw notFound('Session', id);
    if (!row.archivedAt && !(await this.sessions.archiveIfIdle({ sessionId: id, workspaceId }))) {
      throw conflict(`Session ${id} is ${row.status}; cancel the running turn before archiving.`);
    }
    return this.get(workspaceId, id);
  }

  /** 202 when a running turn is being canceled, 200 (no-op) when the session is idle. */
  async cancel(workspaceId: string, id: string): Promise<CancelResult> {
    const status = await this.sessions.requestCancel({ sessionId: id, workspaceId });
    if (!status) throw notFound('Session', id);
    if (status !== 'idle') await this.dispatch.signal(id, 'cancel');
    return { status: status === 'idle' ? 200 : 202, body: { id, type: 'session', status } };
  }

  /**
   * Deletes the session and its events; live streams get a final session.deleted, and the worker
   * running its turn (or holding its sandbox) stops it and destroys the sandbox.
   */
  async delete(workspaceId: string, id: string): Promise<{ id: string; type: 'session_deleted' }> {
    const deleted = sessionDeletedEvent(id);
    const lastSeq = await this.sessions.delete({ sessionId: id, workspaceId }, deleted);
    if (lastSeq === null) throw notFound('Session', id);
    await this.events.publishDeleted(id, lastSeq, deleted);
    await this.dispatch.signal(id, 'delete');
    // The control message reaches the worker running a turn now; the job reaches one with the sandbox
    // even when no turn runs (a Kubernetes sandbox can be destroyed from any worker).
    await this.dispatch.destroySandbox(id);
    return { id, type: 'session_deleted' };
  }

  async list(workspaceId: string, query: Query): Promise<Page<Session>> {
    const params = parseListParams(query, 'desc');
    const agentId = stringParam(query, 'agent_id');
    const statuses = enumArrayParam(query, 'statuses', SessionStatus.options);
    const filter = {
      includeArchived: boolParam(query, 'include_archived') ?? false,
      createdAt: createdAtRange(query),
      ...(agentId ? { agentId } : {}),
      ...(statuses ? { statuses } : {}),
    };
    const page = await paginate(
      params,
      async (cursorId) => ((await this.sessions.exists(workspaceId, cursorId)) ? cursorId : undefined),
      (slice) => this.sessions.listSlice(workspaceId, filter, slice),
      (row) => row.id,
    );
    const now = new Date();
    return { ...page, data: page.data.map((row) => toSession(row, now)) };
  }
}
