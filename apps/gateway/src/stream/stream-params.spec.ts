import { ApiError } from '@stratus/nest-common';
import { parseStreamParams } from './stream-params';

describe('parseStreamParams', () => {
  it('reads previews in every array form SDKs send', () => {
    expect([...parseStreamParams({ 'event_deltas[]': ['agent.message', 'agent.thinking'] }, undefined).previewTypes]).toEqual(['agent.message', 'agent.thinking']);
    expect([...parseStreamParams({ event_deltas: 'agent.thinking' }, undefined).previewTypes]).toEqual(['agent.thinking']);
    expect(parseStreamParams({}, undefined).previewTypes.size).toBe(0);
  });

  it('rejects an unknown preview type with a 400 naming the parameter', () => {
    let error: unknown;
    try {
      parseStreamParams({ 'event_deltas[]': ['agent.message', 'agent.tool_use'] }, undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, param: 'event_deltas[]' });
  });

  it('prefers the Last-Event-ID header to the query parameter, and treats empty as absent', () => {
    expect(parseStreamParams({ last_event_id: 'evt_a' }, 'evt_b').lastEventId).toBe('evt_b');
    expect(parseStreamParams({ last_event_id: 'evt_a' }, undefined).lastEventId).toBe('evt_a');
    expect(parseStreamParams({ last_event_id: '' }, '').lastEventId).toBeUndefined();
  });
});
