/** One dispatched Server-Sent Events message. */
export interface SseMessage {
  /** The `event:` field, or "message" when the frame named none. */
  event: string;
  data: string;
  /** The `id:` field of this frame, if it had one (deltas and comments carry none). */
  id: string | undefined;
}

export interface SseHandlers {
  onMessage(message: SseMessage): void;
  /** A `:` comment line, such as the gateway's `: heartbeat`. */
  onComment?(text: string): void;
  /** A `retry:` field: how long the server asks clients to wait before reconnecting. */
  onRetry?(milliseconds: number): void;
}

/**
 * An incremental decoder of the `text/event-stream` format as the WHATWG HTML standard defines
 * it: chunks may split lines and frames anywhere, lines end in CRLF, LF or CR, a frame is
 * dispatched on a blank line and only if it had data.
 */
export class SseDecoder {
  private pending = '';
  /** The previous chunk ended in CR, so a LF starting this one belongs to the same line end. */
  private skipLeadingLf = false;
  private atStart = true;
  private eventType = '';
  private data: string[] = [];
  private id: string | undefined;

  constructor(private readonly handlers: SseHandlers) {}

  /** Decodes a chunk of text; dispatches every frame it completes. */
  push(chunk: string): void {
    let text = chunk;
    if (this.skipLeadingLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLeadingLf = false;
    if (this.atStart && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.atStart = false;
    }
    text = this.pending + text;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(text.slice(start, i));
      if (c === 13) {
        if (i + 1 === text.length) this.skipLeadingLf = true;
        else if (text.charCodeAt(i + 1) === 10) i += 1;
      }
      start = i + 1;
    }
    this.pending = text.slice(start);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.handlers.onComment?.(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default:
        // Unknown fields are ignored, as the standard requires.
        break;
    }
  }

  private dispatch(): void {
    const { eventType, data, id } = this;
    this.eventType = '';
    this.data = [];
    this.id = undefined;
    if (data.length === 0) return;
    this.handlers.onMessage({ event: eventType || 'message', data: data.join('\n'), id });
  }
}
