import { z } from 'zod';
import { StopReason, type EventType } from './events';

/*
 * The payload of each event type: the fields that api.md lists for it, stored in the event's
 * `payload` column and returned flat beside the common fields. Every event is built and read
 * through these schemas (packages/events), so no code guesses at a payload's shape.
 *
 * Text here is not capped like request content: these are what Stratus stores, including model
 * replies and tool output, which are bounded where they are produced.
 */

const Blocks = z.array(z.object({ type: z.literal('text'), text: z.string() }));
const Permission = z.enum(['allow', 'ask']);
const Usage = z.object({ input_tokens: z.int().min(0), output_tokens: z.int().min(0) });
const Empty = z.object({});

/** A tool call's input as the model sent it: JSON arguments, or the raw string when they did not parse. */
export const ToolInput = z.json();
export type ToolInput = z.infer<typeof ToolInput>;

/** `session.error`'s `error`: what failed, whether Stratus retries it, and the provider's own status and type. */
export const SessionErrorDetail = z.object({
  type: z.string(),
  message: z.string(),
  retry_status: z.enum(['retrying', 'exhausted', 'terminal']),
  provider_status: z.int().optional(),
  provider_error_type: z.string().optional(),
});
export type SessionErrorDetail = z.infer<typeof SessionErrorDetail>;

const schemas = {
  'user.message': z.object({ content: Blocks }),
  'user.interrupt': Empty,
  'user.custom_tool_result': z.object({ custom_tool_use_id: z.string(), content: Blocks, is_error: z.boolean() }),
  'user.tool_confirmation': z.object({ tool_use_id: z.string(), result: z.enum(['allow', 'deny']), deny_message: z.string().optional() }),
  /** `detail`: set while the turn's next tool call waits for a sandbox (a capacity cap was reached). */
  'session.status_running': z.object({ detail: z.literal('waiting_for_sandbox').optional() }),
  'session.status_idle': z.object({ stop_reason: StopReason }),
  'session.error': z.object({ error: SessionErrorDetail }),
  'session.deleted': Empty,
  'span.model_request_start': z.object({ model: z.string() }),
  'span.model_request_end': z.object({ model_request_start_id: z.string(), model_usage: Usage, is_error: z.boolean() }),
  'agent.thinking': z.object({ content: Blocks }),
  'agent.message': z.object({ content: Blocks }),
  'agent.tool_use': z.object({ name: z.string(), input: ToolInput, evaluated_permission: Permission }),
  'agent.tool_result': z.object({ tool_use_id: z.string(), content: Blocks, is_error: z.boolean() }),
  'agent.custom_tool_use': z.object({ name: z.string(), input: ToolInput }),
  // `name` is the MCP server's name for the tool.
  'agent.mcp_tool_use': z.object({ name: z.string(), mcp_server_name: z.string(), input: ToolInput, evaluated_permission: Permission }),
  'agent.mcp_tool_result': z.object({ mcp_tool_use_id: z.string(), content: Blocks, is_error: z.boolean() }),
} as const satisfies Record<EventType, z.ZodType>;

/** The payload of an event of type T. */
export type EventPayload<T extends EventType> = z.infer<(typeof schemas)[T]>;

/** One payload schema per event type (typed per key, so a schema looked up by a generic type parses to that type's payload). */
export const EventPayloads: { readonly [T in EventType]: z.ZodType<EventPayload<T>> } = schemas;
