import { z } from 'zod';
import { Agent } from './agents';
import { Metadata, Timestamp } from './common';
import { UserMessageInput } from './events';
import { idOf } from './ids';

export const SessionStatus = z.enum(['idle', 'processing', 'canceling']);
export type SessionStatus = z.infer<typeof SessionStatus>;

/** An agent reference: an id (latest version) or `{id, version}` (pinned). */
export const AgentRef = z.union([
  z.string().min(1).max(64),
  z.strictObject({ type: z.literal('agent').optional(), id: z.string().min(1).max(64), version: z.int().min(1).optional() }),
]);

const EnvironmentVariables = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { message: 'must be a valid environment variable name' }), z.string().max(32_768))
  .refine((vars) => Object.keys(vars).length <= 100, { message: 'at most 100 environment variables' });

export const CreateSessionRequest = z
  .strictObject({
    agent: AgentRef,
    environment_id: z.string().min(1).max(64),
    title: z.string().max(512).default(''),
    metadata: Metadata.default({}),
    environment_variables: EnvironmentVariables.default({}),
    initial_events: z.array(UserMessageInput).max(50).default([]),
    /** Vaults of the workspace whose credentials the agent's MCP servers are reached with; set at create only. */
    vault_ids: z.array(idOf('vault')).max(20).default([]),
  })
  .meta({ id: 'CreateSessionRequest' });
export type CreateSessionRequest = z.infer<typeof CreateSessionRequest>;

export const UpdateSessionRequest = z
  .strictObject({ title: z.string().max(512).optional(), metadata: Metadata.optional() })
  .meta({ id: 'UpdateSessionRequest' });
export type UpdateSessionRequest = z.infer<typeof UpdateSessionRequest>;

export const Session = z
  .object({
    id: z.string(),
    type: z.literal('session'),
    agent: Agent,
    agent_id: z.string(),
    environment_id: z.string(),
    status: SessionStatus,
    title: z.string(),
    metadata: Metadata,
    vault_ids: z.array(z.string()),
    usage: z.object({ input_tokens: z.int(), output_tokens: z.int() }),
    stats: z.object({ turns: z.int(), active_seconds: z.number(), duration_seconds: z.number() }),
    archived_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Session' });
export type Session = z.infer<typeof Session>;

export const SessionDeleted = z.object({ id: z.string(), type: z.literal('session_deleted') }).meta({ id: 'SessionDeleted' });
export const SessionCancelResult = z.object({ id: z.string(), type: z.literal('session'), status: SessionStatus }).meta({ id: 'SessionCancelResult' });
