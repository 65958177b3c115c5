import { SseDecoder, type SseMessage } from './sse-decoder';

function decode(chunks: string[]): { messages: SseMessage[]; comments: string[]; retries: number[] } {
  const out = { messages: [] as SseMessage[], comments: [] as string[], retries: [] as number[] };
  const decoder = new SseDecoder({ onMessage: (m) => out.messages.push(m), onComment: (c) => out.comments.push(c), onRetry: (r) => out.retries.push(r) });
  for (const chunk of chunks) decoder.push(chunk);
  return out;
}

const STREAM = '\uFEFFid: evt_1\nevent: agent.message\ndata: {"a":1}\n\n: heartbeat\n\nevent: event_delta\ndata: {"b":\ndata: 2}\n\nretry: 250\n\nid: evt_2\r\ndata: x\r\n\r\ndata: y\r\rdata\n\n';

describe('SseDecoder', () => {
  const expected = [
    { event: 'agent.message', data: '{"a":1}', id: 'evt_1' },
    { event: 'event_delta', data: '{"b":\n2}', id: undefined },
    { event: 'message', data: 'x', id: 'evt_2' },
    { event: 'message', data: 'y', id: undefined },
    { event: 'message', data: '', id: undefined },
  ];

  it('decodes frames, comments and retry fields', () => {
    const out = decode([STREAM]);
    expect(out.messages).toEqual(expected);
    expect(out.comments).toEqual(['heartbeat']);
    expect(out.retries).toEqual([250]);
  });

  it('gives the same result however the bytes are split, CR LF pairs included', () => {
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let at = 0; at < STREAM.length; at += size) chunks.push(STREAM.slice(at, at + size));
      expect(decode(chunks).messages).toEqual(expected);
    }
  });

  it('dispatches nothing for a frame without data or one that is not finished', () => {
    expect(decode(['event: x\n\nid: 3\n\n', 'data: half']).messages).toEqual([]);
  });
});
