import { decodeEventMessage, decodePreviewMessage, deletedLiveEvent } from './live-message';

describe('decodeEventMessage', () => {
  it('decodes a published event into its sequence number and a ready SSE frame', () => {
    const event = { id: 'evt_1', type: 'agent.message', content: [{ type: 'text', text: 'two\nlines' }] };
    const decoded = decodeEventMessage(JSON.stringify({ seq: 7, event }));
    expect(decoded).toMatchObject({ seq: 7, id: 'evt_1', type: 'agent.message' });
    expect(decoded!.frame.toString()).toBe(`id: evt_1\nevent: agent.message\ndata: ${JSON.stringify(event)}\n\n`);
    // Line breaks inside the data are escaped by JSON: the frame has exactly one blank line, at its end.
    expect(decoded!.frame.toString().indexOf('\n\n')).toBe(decoded!.frame.length - 2);
  });

  it('ignores what is not a published event', () => {
    for (const raw of ['not json', '[]', '{"seq":0,"event":{"id":"e","type":"t"}}', '{"seq":1.5,"event":{"id":"e","type":"t"}}', '{"seq":1,"event":{"id":1,"type":"t"}}', '{"seq":1}']) {
      expect(decodeEventMessage(raw)).toBeUndefined();
    }
  });
});

describe('decodePreviewMessage', () => {
  it('decodes starts of previewable types and text deltas, with frames that carry no id', () => {
    const start = decodePreviewMessage(JSON.stringify({ type: 'event_start', event: { id: 'evt_2', type: 'agent.thinking' } }));
    expect(start).toMatchObject({ kind: 'start', eventId: 'evt_2', eventType: 'agent.thinking' });
    expect(start!.frame.toString()).toBe('event: event_start\ndata: {"type":"event_start","event":{"id":"evt_2","type":"agent.thinking"}}\n\n');
    const delta = { type: 'event_delta', event_id: 'evt_2', delta: { type: 'content_delta', index: 0, content: { type: 'text', text: 'Hi' } } };
    const decoded = decodePreviewMessage(JSON.stringify({ ...delta, extra: 'dropped' }));
    expect(decoded).toMatchObject({ kind: 'delta', eventId: 'evt_2' });
    expect(decoded!.frame.toString()).toBe(`event: event_delta\ndata: ${JSON.stringify(delta)}\n\n`);
  });

  it('ignores previews of other types and malformed deltas', () => {
    expect(decodePreviewMessage(JSON.stringify({ type: 'event_start', event: { id: 'e', type: 'agent.tool_use' } }))).toBeUndefined();
    expect(decodePreviewMessage(JSON.stringify({ type: 'event_delta', event_id: 'e', delta: { type: 'content_delta', index: 0, content: { type: 'image' } } }))).toBeUndefined();
    expect(decodePreviewMessage('{')).toBeUndefined();
  });
});

describe('deletedLiveEvent', () => {
  it('comes after anything stored and ends the stream as a session.deleted frame', () => {
    const event = deletedLiveEvent('sess_1', 'evt_9', new Date('2026-01-01T00:00:00Z'));
    expect(event.seq).toBe(Number.MAX_SAFE_INTEGER);
    expect(JSON.parse(event.frame.toString().split('data: ')[1]!)).toEqual({
      id: 'evt_9',
      type: 'session.deleted',
      session_id: 'sess_1',
      turn_id: null,
      created_at: '2026-01-01T00:00:00.000Z',
      processed_at: null,
    });
  });
});
