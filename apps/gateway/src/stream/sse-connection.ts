import type { ServerResponse } from 'node:http';
import type { DeltaEventType } from '@stratus/contracts';
import { stratusMetrics } from '@stratus/telemetry';
import type { HistoryEvent } from '../history/history.repository';
import type { LiveEvent, LivePreview } from '../live/live-message';
import { eventFrame, HEARTBEAT_FRAME, retryFrame } from './sse-frames';

/** Where a connection reads what Redis did not deliver: PostgreSQL. */
export interface HistorySource {
  readAfter(sessionId: string, afterSeq: number, limit: number): Promise<HistoryEvent[]>;
}

export interface ConnectionOptions {
  sessionId: string;
  /** The token that opened the stream: the stream ends when it is revoked. */
  tokenId: string;
  /** Event types whose live previews this connection asked for (`event_deltas[]`). */
  previewTypes: ReadonlySet<DeltaEventType>;
  history: HistorySource;
  /** Queued live bytes plus unflushed socket bytes beyond which the connection is closed. */
  bufferBytes: number;
  /** Called once when the connection is over, whoever ended it. */
  onClosed(connection: SseConnection): void;
  /** The gateway cut the connection (the client resumes with Last-Event-ID): why, for the log. */
  onCut(reason: 'client too slow' | 'event log unreadable', error?: unknown): void;
}

/** Rows per history read: large enough to replay a long session quickly, small enough to bound memory. */
const PAGE_SIZE = 500;
/** History frames are written in chunks of about this size, so back-pressure is checked often. */
const WRITE_CHUNK_CHARS = 64 * 1024;
/** Previews of turns that never finished are forgotten beyond this many. */
const MAX_OPEN_PREVIEWS = 64;

const TERMINAL_TYPE = 'session.deleted';

/**
 * One client's stream. It joins the live channel before reading history, so nothing published
 * meanwhile is missed, and it writes each event exactly once in sequence order:
 *
 * - `sentSeq` is the last sequence number written; anything at or below it is a duplicate.
 * - Live events that cannot be written at once (history still replaying, a gap, a slow client)
 *   wait in a queue ordered by seq, and one pump writes them in order.
 * - A gap before the queue's head (Redis dropped a message, publishers raced, the subscriber
 *   reconnected) is repaired by reading PostgreSQL after `sentSeq`.
 * - Writes respect the socket's back-pressure; when the queue grows past the buffer limit the
 *   connection is closed, and the client resumes with Last-Event-ID.
 */
export class SseConnection {
  private response: ServerResponse | undefined;
  private sentSeq = 0;
  private readonly queue: LiveEvent[] = [];
  private queuedBytes = 0;
  /** PostgreSQL must be read before the queue: at the start (history), after a gap or a resync. */
  private readNeeded = true;
  /** The queue head a repair read was already done for; if PostgreSQL had nothing, the head is written as is. */
  private repairedFor = 0;
  private pumping = false;
  private closed = false;
  /** The socket itself is closed (by either side). */
  private disconnected = false;
  private readonly openPreviews = new Set<string>();

  constructor(private readonly options: ConnectionOptions) {}

  get sessionId(): string {
    return this.options.sessionId;
  }

  get tokenId(): string {
    return this.options.tokenId;
  }

  get wantsPreviews(): boolean {
    return this.options.previewTypes.size > 0;
  }

  /** Starts streaming after `afterSeq` (0: the whole history) on a response nobody else writes to. */
  start(response: ServerResponse, afterSeq: number, headers: Record<string, string | number | string[]>): void {
    this.response = response;
    this.sentSeq = afterSeq;
    if (this.closed) {
      // It overflowed or was told to go away before it started: nothing was promised yet.
      response.destroy();
      return;
    }
    response.on('close', () => {
      this.disconnected = true;
      this.finish();
    });
    response.writeHead(200, headers);
    response.flushHeaders();
    void this.pump();
  }

  /** A live event from the session channel. */
  deliver(event: LiveEvent): void {
    if (this.closed || event.seq <= this.sentSeq) return;
    if (this.idle && event.seq === this.sentSeq + 1) {
      this.writeLive(event);
      return;
    }
    this.enqueue(event);
    void this.pump();
  }

  /** A live preview; best-effort: only a stream that is caught up and not blocked gets it. */
  preview(preview: LivePreview, eventType: DeltaEventType): void {
    if (this.closed || !this.options.previewTypes.has(eventType) || !this.idle) return;
    if (preview.kind === 'start') {
      if (this.openPreviews.size >= MAX_OPEN_PREVIEWS) this.openPreviews.clear();
      this.openPreviews.add(preview.eventId);
    } else if (!this.openPreviews.has(preview.eventId)) {
      return; // its start was not sent to this stream
    }
    this.response!.write(preview.frame);
  }

  /** Messages may have been lost (the subscriber reconnected): read PostgreSQL after what was sent. */
  resync(): void {
    if (this.closed) return;
    this.readNeeded = true;
    void this.pump();
  }

  /** The session's log ends at `lastSeq`: read what this stream has not seen (its publish was lost). */
  catchUpTo(lastSeq: number): void {
    if (lastSeq > this.sentSeq && this.queue.length === 0) this.resync();
  }

  /** A comment that keeps an idle connection open through proxies; skipped while the socket is full. */
  heartbeat(): void {
    if (this.response && !this.closed && !this.response.writableNeedDrain) this.response.write(HEARTBEAT_FRAME);
  }

  /**
   * Shutdown: asks the client to reconnect after `retryMs` and ends the stream. Resolves when the
   * connection is gone; a client that does not read may keep it open, so the caller bounds the wait.
   */
  goAway(retryMs: number): Promise<void> {
    const response = this.response;
    if (!response || this.disconnected) {
      this.destroy();
      return Promise.resolve();
    }
    const gone = new Promise<void>((resolve) => response.once('close', () => resolve()));
    if (!this.closed) {
      this.finish();
      response.end(retryFrame(retryMs));
    }
    return gone;
  }

  /** Cuts the connection without a goodbye (a stalled client after shutdown, or an overflow). */
  destroy(): void {
    this.finish();
    this.response?.destroy();
  }

  /** Nothing is being replayed or waiting, and the socket takes more: a live event can be written at once. */
  private get idle(): boolean {
    return this.response !== undefined && !this.pumping && !this.readNeeded && this.queue.length === 0 && !this.response.writableNeedDrain;
  }

  private writeLive(event: LiveEvent): void {
    this.sentSeq = event.seq;
    this.openPreviews.delete(event.id);
    if (event.type === TERMINAL_TYPE) {
      // The session is gone: its deletion is the last frame.
      this.finish();
      this.response!.end(event.frame);
      return;
    }
    this.response!.write(event.frame);
    if (event.publishedAt !== undefined) stratusMetrics().streamDeliveryLag.record(Math.max(0, Date.now() - event.publishedAt) / 1000);
  }

  private enqueue(event: LiveEvent): void {
    let at = this.queue.length;
    while (at > 0 && this.queue[at - 1]!.seq > event.seq) at--;
    if (at > 0 && this.queue[at - 1]!.seq === event.seq) return;
    this.queue.splice(at, 0, event);
    this.queuedBytes += event.frame.length;
    // One event alone never closes a stream, or a client could never get past a large one.
    if (this.queue.length > 1 && this.queuedBytes + (this.response?.writableLength ?? 0) > this.options.bufferBytes) {
      this.options.onCut('client too slow');
      this.destroy();
    }
  }

  private dropSent(): void {
    while (this.queue.length > 0 && this.queue[0]!.seq <= this.sentSeq) this.queuedBytes -= this.queue.shift()!.frame.length;
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.closed || !this.response) return;
    this.pumping = true;
    try {
      while (!this.closed) {
        if (this.readNeeded) {
          this.readNeeded = false;
          await this.readHistory();
          continue;
        }
        this.dropSent();
        const head = this.queue[0];
        if (!head) break;
        if (head.seq !== this.sentSeq + 1 && this.repairedFor !== head.seq) {
          this.repairedFor = head.seq;
          this.readNeeded = true;
          continue;
        }
        // In order, or PostgreSQL had nothing before it: only a session deleted meanwhile does that.
        this.queue.shift();
        this.queuedBytes -= head.frame.length;
        this.writeLive(head);
        await this.drained();
      }
    } catch (error) {
      // PostgreSQL failed mid-read: the client resumes where it is, on a gateway that can read.
      this.options.onCut('event log unreadable', error);
      this.destroy();
    } finally {
      this.pumping = false;
    }
  }

  /** Writes every stored event after `sentSeq`, a page at a time, waiting whenever the socket is full. */
  private async readHistory(): Promise<void> {
    for (;;) {
      const rows = await this.options.history.readAfter(this.options.sessionId, this.sentSeq, PAGE_SIZE);
      let chunk = '';
      for (const row of rows) {
        if (this.closed) return;
        chunk += eventFrame(row.event);
        this.sentSeq = row.seq;
        this.openPreviews.delete(row.event.id);
        if (chunk.length >= WRITE_CHUNK_CHARS) {
          this.response!.write(chunk);
          chunk = '';
          await this.drained();
        }
      }
      if (this.closed) return;
      if (chunk) this.response!.write(chunk);
      await this.drained();
      if (rows.length < PAGE_SIZE) return;
    }
  }

  /** Resolves when the socket takes more data again, or the connection is gone. */
  private drained(): Promise<void> {
    const response = this.response!;
    if (!response.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        response.off('drain', done);
        response.off('close', done);
        resolve();
      };
      response.on('drain', done);
      response.on('close', done);
    });
  }

  /** Marks the connection over, once. */
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.options.onClosed(this);
  }
}
