import { startScriptedModel, type ScriptedModel } from '@stratus/testing';
import { APIConnectionError, APIError } from 'openai';
import { ModelCatalog } from '../src/catalog';
import { createModelClient, UnknownModelError } from '../src/client';
import { loadModelsConfig } from '../src/config';

describe('createModelClient against an OpenAI-compatible server', () => {
  let upstream: ScriptedModel;
  let catalog: ModelCatalog;

  beforeEach(async () => {
    upstream = await startScriptedModel();
    const providers = [
      { name: 'local', base_url: upstream.baseURL, api_key_env: 'LOCAL_KEY', models: [{ id: 'fast', upstream_id: 'org/fast-7b' }, 'other'] },
      { name: 'second', base_url: upstream.baseURL, models: ['second-model'] },
    ];
    catalog = new ModelCatalog(loadModelsConfig({ STRATUS_MODEL_PROVIDERS: JSON.stringify(providers), LOCAL_KEY: 'sk-local' }));
  });
  afterEach(async () => {
    await upstream.close();
  });

  it('streams a reply from the provider, asking for the upstream model id with the provider key', async () => {
    upstream.script({ kind: 'text', text: 'Streamed from upstream' });
    const { client, upstreamModel, provider } = createModelClient(catalog, 'fast');
    expect(upstreamModel).toBe('org/fast-7b');
    expect(provider.name).toBe('local');

    const stream = await client.chat.completions.create({ model: upstreamModel, messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    expect(text).toBe('Streamed from upstream');
    expect(upstream.requests[0]!.body).toMatchObject({ model: 'org/fast-7b', stream: true });
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer sk-local');
  });

  it('shares one client per provider and timeout', () => {
    const fast = createModelClient(catalog, 'fast').client;
    expect(createModelClient(catalog, 'other').client).toBe(fast);
    expect(createModelClient(catalog, 'second-model').client).not.toBe(fast);
    expect(createModelClient(catalog, 'fast', { timeoutMs: 5_000 }).client).not.toBe(fast);
    expect(createModelClient(new ModelCatalog(loadModelsConfig({ STRATUS_MODEL_PROVIDERS: JSON.stringify([{ name: 'local', base_url: upstream.baseURL, models: ['fast'] }]) })), 'fast').client).not.toBe(fast);
  });

  it('never retries by itself: an error reaches the caller after one request', async () => {
    upstream.script({ kind: 'error', status: 503, message: 'overloaded', retryAfter: 0 }, { kind: 'text', text: 'not reached' });
    const { client, upstreamModel } = createModelClient(catalog, 'fast');

    const error = await client.chat.completions.create({ model: upstreamModel, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(503);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.pending).toBe(1);
  });

  it('gives up on a provider that sends no headers within the timeout', async () => {
    upstream.script({ kind: 'hang' });
    const { client, upstreamModel } = createModelClient(catalog, 'fast', { timeoutMs: 200 });

    const error = await client.chat.completions.create({ model: upstreamModel, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    await upstream.settled();

    // APIConnectionTimeoutError outside jest; jest's separate realm hides the AbortError's name from the SDK.
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(upstream.requests[0]!.aborted).toBe(true);
  });

  it('throws UnknownModelError for a model the catalog does not configure', () => {
    expect(() => createModelClient(catalog, 'gpt-4.1')).toThrow(UnknownModelError);
    expect(() => createModelClient(catalog, 'org/fast-7b')).toThrow('unknown model "org/fast-7b"');
  });
});
