import type { DeltaEventType } from '@stratus/contracts';
import { enumArrayParam, stringParam, type Query } from '@stratus/nest-common';

const PREVIEW_TYPES: readonly DeltaEventType[] = ['agent.message', 'agent.thinking'];

/** What a stream request asks for, before anything is looked up. */
export interface StreamParams {
  /** Resume after this event; undefined for the whole history. */
  lastEventId: string | undefined;
  previewTypes: ReadonlySet<DeltaEventType>;
}

/**
 * Reads `event_deltas[]` (unknown values → 400) and the resume point. The Last-Event-ID header
 * wins over `?last_event_id=`: a browser's EventSource reconnects to the URL it was opened with
 * (query included) and sends its newer position in the header.
 */
export function parseStreamParams(query: Query, lastEventIdHeader: string | string[] | undefined): StreamParams {
  const previewTypes = new Set(enumArrayParam(query, 'event_deltas', PREVIEW_TYPES) ?? []);
  const header = Array.isArray(lastEventIdHeader) ? lastEventIdHeader[0] : lastEventIdHeader;
  const lastEventId = header?.trim() || stringParam(query, 'last_event_id')?.trim() || undefined;
  return { lastEventId, previewTypes };
}
