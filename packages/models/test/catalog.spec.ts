import { ModelCatalog } from '../src/catalog';
import { DEMO_MODEL_ID, loadModelsConfig } from '../src/config';

describe('ModelCatalog', () => {
  const providers = [{ name: 'vllm', base_url: 'http://vllm:8000/v1', models: [{ id: 'coder', display_name: 'Coder', upstream_id: 'Qwen/Coder' }, 'small'] }];
  const catalog = new ModelCatalog(loadModelsConfig({ STRATUS_MODEL_PROVIDERS: JSON.stringify(providers) }));

  it('lists every model as GET /models shows it, in configuration order', () => {
    expect(catalog.list()).toEqual([
      { id: 'coder', type: 'model', display_name: 'Coder', provider: 'vllm' },
      { id: 'small', type: 'model', display_name: 'small', provider: 'vllm' },
      { id: DEMO_MODEL_ID, type: 'model', display_name: expect.any(String), provider: 'stratus' },
    ]);
  });

  it('resolves a model id to the model and its provider', () => {
    expect(catalog.has('coder')).toBe(true);
    expect(catalog.resolve('coder')).toEqual({
      model: { id: 'coder', displayName: 'Coder', provider: 'vllm', upstreamId: 'Qwen/Coder' },
      provider: { name: 'vllm', baseURL: 'http://vllm:8000/v1', apiKey: 'none', builtin: false },
    });
    expect(catalog.resolve(DEMO_MODEL_ID)?.provider.builtin).toBe(true);
  });

  it('knows nothing of an unconfigured id, nor of an upstream id', () => {
    expect(catalog.has('gpt-4.1')).toBe(false);
    expect(catalog.resolve('gpt-4.1')).toBeUndefined();
    expect(catalog.resolve('Qwen/Coder')).toBeUndefined();
  });
});
