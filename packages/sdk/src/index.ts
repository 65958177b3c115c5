/**
 * @module @stratus/sdk
 * The TypeScript client of the Stratus API: typed resources, auto-paginating lists, retries,
 * the resumable event stream, whole turns with `sessions.run`, and webhook signature verification.
 * Runs wherever `fetch`, `TextDecoder` and Web Crypto do: Node, browsers, edge runtimes.
 */
export { Stratus } from './client.js';
export {
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
  RequestTooLargeError,
  StratusError,
} from './core/errors.js';
export { PageList, type ListParams, type PageLike } from './core/pagination.js';
export { DEFAULT_RETRY, isRetryableError, retryDelayMs, type RetryOptions } from './core/retry.js';
export type { ClientOptions, Transport } from './core/transport.js';
export type { InputOf, OutputOf, Query, QueryValue, RequestOptions } from './core/types.js';
export type { AgentCreateParams, AgentListParams, AgentUpdateParams, Agents } from './resources/agents.js';
export type { EnvironmentCreateParams, EnvironmentDeleteResult, EnvironmentListParams, EnvironmentUpdateParams, Environments } from './resources/environments.js';
export type { Models } from './resources/models.js';
export type { EventListParams, EventSendParams, SessionEvents, StreamEventsOptions, UserEventParam } from './resources/session-events.js';
export type {
  MessageContent,
  SessionCancelResult,
  SessionCreateParams,
  SessionDeleteResult,
  SessionListParams,
  Sessions,
  SessionUpdateParams,
} from './resources/sessions.js';
export type { ArchivableListParams, CreatedAtFilter } from './resources/shared.js';
export type {
  VaultCreateParams,
  VaultCredentialCreateParams,
  VaultCredentialDeleteResult,
  VaultCredentials,
  VaultCredentialUpdateParams,
  VaultDeleteResult,
  VaultListParams,
  Vaults,
  VaultUpdateParams,
} from './resources/vaults.js';
export type { WebhookCreateParams, WebhookDeleteResult, WebhookRotateSecretParams, Webhooks, WebhookUpdateParams } from './resources/webhooks.js';
export type { RunOptions, RunResult } from './runs/run-turn.js';
export { Backoff, DEFAULT_BACKOFF, jitter, type BackoffOptions } from './streaming/backoff.js';
export { ResumableStream, type ReconnectInfo, type ResumableStreamOptions } from './streaming/resumable-stream.js';
export { SseDecoder, type SseHandlers, type SseMessage } from './streaming/sse-decoder.js';
export { isSessionEvent, TERMINAL_EVENT_TYPES, type EventDelta, type EventStart, type StreamEvent } from './streaming/stream-event.js';
export { signWebhook, verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions, type WebhookHeaders } from './webhooks/webhook-signature.js';
export type { Agent, Environment, Model, Page, Session, SessionEvent, StopReason } from '@stratus/contracts';
