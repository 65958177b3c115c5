import { z } from 'zod';
import { Content, ContentInput, Timestamp } from './common';

/** Every persisted event type, client-sent and Stratus-emitted. */
export const EVENT_TYPES = [
  'user.message',
  'user.interrupt',
  'user.custom_tool_result',
  'user.tool_confirmation',
  'session.status_running',
  'session.status_idle',
  'session.error',
  'session.deleted',
  'span.model_request_start',
  'span.model_request_end',
  'agent.thinking',
  'agent.message',
  'agent.tool_use',
  'agent.tool_result',
  'agent.custom_tool_use',
  'agent.mcp_tool_use',
  'agent.mcp_tool_result',
] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

/** The two event types whose text can be previewed live on a stream (event_deltas[]). */
export const DeltaEventType = z.enum(['agent.message', 'agent.thinking']);
export type DeltaEventType = z.infer<typeof DeltaEventType>;

export const UserMessageInput = z.strictObject({ type: z.literal('user.message'), content: ContentInput }).meta({ id: 'UserMessageInput' });
export const UserInterruptInput = z.strictObject({ type: z.literal('user.interrupt') }).meta({ id: 'UserInterruptInput' });
export const UserCustomToolResultInput = z
  .strictObject({
    type: z.literal('user.custom_tool_result'),
    custom_tool_use_id: z.string().min(1).max(64),
    content: ContentInput,
    is_error: z.boolean().default(false),
  })
  .meta({ id: 'UserCustomToolResultInput' });
export const UserToolConfirmationInput = z
  .strictObject({
    type: z.literal('user.tool_confirmation'),
    tool_use_id: z.string().min(1).max(64),
    result: z.enum(['allow', 'deny']),
    deny_message: z.string().max(10_000).optional(),
  })
  .meta({ id: 'UserToolConfirmationInput' });

export const UserEventInput = z
  .discriminatedUnion('type', [UserMessageInput, UserInterruptInput, UserCustomToolResultInput, UserToolConfirmationInput])
  .meta({ id: 'UserEventInput' });
export type UserEventInput = z.infer<typeof UserEventInput>;

export const SendEventsRequest = z.strictObject({ events: z.array(UserEventInput).min(1).max(100) }).meta({ id: 'SendEventsRequest' });
export type SendEventsRequest = z.infer<typeof SendEventsRequest>;

export const StopReason = z.object({
  type: z.enum(['end_turn', 'requires_action', 'max_iterations', 'error']),
  event_ids: z.array(z.string()).optional(),
});
export type StopReason = z.infer<typeof StopReason>;

/**
 * A persisted event: common fields plus the type's payload, flat at top level
 * (`content`, `name`, `input`, `stop_reason`, …).
 */
export const SessionEvent = z
  .looseObject({
    id: z.string(),
    type: EventType,
    session_id: z.string(),
    turn_id: z.string().nullable(),
    created_at: Timestamp,
    processed_at: Timestamp.nullable(),
    content: Content.optional(),
  })
  .meta({ id: 'SessionEvent' });
export type SessionEvent = z.infer<typeof SessionEvent> & Record<string, unknown>;
