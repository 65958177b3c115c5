/**
 * @module @stratus/sdk
 * The TypeScript client of the Stratus API.
 */
export { Stratus } from './client';
export { APIConnectionError, APIError, StratusError } from './core/errors';
export type { ClientOptions } from './core/transport';
export type { StreamEventsOptions } from './resources/session-events';
export { Backoff, DEFAULT_BACKOFF, jitter, type BackoffOptions } from './streaming/backoff';
export { ResumableStream, type ReconnectInfo, type ResumableStreamOptions } from './streaming/resumable-stream';
export { SseDecoder, type SseHandlers, type SseMessage } from './streaming/sse-decoder';
export { isSessionEvent, TERMINAL_EVENT_TYPES, type EventDelta, type EventStart, type StreamEvent } from './streaming/stream-event';
