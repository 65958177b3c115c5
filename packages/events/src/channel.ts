/** The Redis pub/sub channel that carries a session's live events. */
export function sessionChannel(sessionId: string): string {
  return `stratus:session:${sessionId}`;
}

/** What is published on a session channel: the stored event and its sequence number. */
export interface PublishedEvent {
  seq: number;
  event: Record<string, unknown> & { id: string; type: string };
}
