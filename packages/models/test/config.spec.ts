import { DEMO_MODEL_ID, DEMO_PROVIDER, loadModelsConfig, ModelConfigError } from '../src/config';

/** The error loadModelsConfig throws for this environment. */
function configError(env: NodeJS.ProcessEnv): ModelConfigError {
  try {
    loadModelsConfig(env);
  } catch (err) {
    if (err instanceof ModelConfigError) return err;
    throw err;
  }
  throw new Error('expected a ModelConfigError');
}

const NO_DEMO = { STRATUS_DEMO_MODEL: 'false' };

describe('loadModelsConfig', () => {
  it('serves only the built-in demo model when nothing is configured', () => {
    const config = loadModelsConfig({});
    expect(config.models).toEqual([{ id: DEMO_MODEL_ID, displayName: expect.stringContaining('not an LLM'), provider: DEMO_PROVIDER, upstreamId: DEMO_MODEL_ID }]);
    expect(config.providers).toEqual([expect.objectContaining({ name: DEMO_PROVIDER, builtin: true })]);
  });

  it('reads providers from STRATUS_MODEL_PROVIDERS, with the key taken from the variable api_key_env names', () => {
    const providers = [
      {
        name: 'local-vllm',
        base_url: 'http://vllm.internal:8000/v1',
        api_key_env: 'VLLM_KEY',
        models: ['qwen3-8b', { id: 'coder', display_name: 'Coder 32B', upstream_id: 'Qwen/Qwen2.5-Coder-32B-Instruct' }],
      },
      { name: 'ollama', base_url: 'http://127.0.0.1:11434/v1', models: ['llama3.2'] },
    ];
    const config = loadModelsConfig({ ...NO_DEMO, STRATUS_MODEL_PROVIDERS: JSON.stringify(providers), VLLM_KEY: 'sk-vllm' });

    expect(config.providers).toEqual([
      { name: 'local-vllm', baseURL: 'http://vllm.internal:8000/v1', apiKey: 'sk-vllm', builtin: false },
      { name: 'ollama', baseURL: 'http://127.0.0.1:11434/v1', apiKey: 'none', builtin: false },
    ]);
    expect(config.models).toEqual([
      { id: 'qwen3-8b', displayName: 'qwen3-8b', provider: 'local-vllm', upstreamId: 'qwen3-8b' },
      { id: 'coder', displayName: 'Coder 32B', provider: 'local-vllm', upstreamId: 'Qwen/Qwen2.5-Coder-32B-Instruct' },
      { id: 'llama3.2', displayName: 'llama3.2', provider: 'ollama', upstreamId: 'llama3.2' },
    ]);
  });

  it('names the unset variable that api_key_env points at', () => {
    const providers = [{ name: 'vllm', base_url: 'http://vllm:8000/v1', api_key_env: 'VLLM_KEY', models: ['m'] }];
    const error = configError({ STRATUS_MODEL_PROVIDERS: JSON.stringify(providers) });
    expect(error.variable).toBe('VLLM_KEY');
    expect(error.message).toContain('provider "vllm"');
  });

  it.each([
    ['not JSON', '{oops', 'is not valid JSON'],
    ['a bad base_url', JSON.stringify([{ name: 'p', base_url: 'not a url', models: ['m'] }]), '0.base_url'],
    ['no models', JSON.stringify([{ name: 'p', base_url: 'http://p/v1', models: [] }]), '0.models'],
    ['an unknown field', JSON.stringify([{ name: 'p', base_url: 'http://p/v1', models: ['m'], key: 'x' }]), 'key'],
    ['a model twice', JSON.stringify([{ name: 'a', base_url: 'http://a/v1', models: ['m'] }, { name: 'b', base_url: 'http://b/v1', models: ['m'] }]), 'model "m" is configured twice'],
  ])('rejects STRATUS_MODEL_PROVIDERS with %s, naming the variable', (_case, value, detail) => {
    const error = configError({ STRATUS_MODEL_PROVIDERS: value });
    expect(error.variable).toBe('STRATUS_MODEL_PROVIDERS');
    expect(error.message).toContain('STRATUS_MODEL_PROVIDERS');
    expect(error.message).toContain(detail);
  });

  it('adds a default "openai" provider from OPENAI_API_KEY and OPENAI_MODELS', () => {
    const config = loadModelsConfig({ ...NO_DEMO, OPENAI_API_KEY: 'sk-test', OPENAI_MODELS: 'gpt-4.1, gpt-4.1-mini' });
    expect(config.providers).toEqual([{ name: 'openai', baseURL: 'https://api.openai.com/v1', apiKey: 'sk-test', builtin: false }]);
    expect(config.models.map((m) => [m.id, m.provider])).toEqual([
      ['gpt-4.1', 'openai'],
      ['gpt-4.1-mini', 'openai'],
    ]);
  });

  it('points the default provider at OPENAI_BASE_URL, keyless', () => {
    const config = loadModelsConfig({ ...NO_DEMO, OPENAI_BASE_URL: 'http://litellm:4000/v1', OPENAI_MODELS: 'm' });
    expect(config.providers).toEqual([{ name: 'openai', baseURL: 'http://litellm:4000/v1', apiKey: 'none', builtin: false }]);
  });

  it.each([
    [{ OPENAI_API_KEY: 'sk-test' }, 'OPENAI_MODELS'],
    [{ OPENAI_BASE_URL: 'nope', OPENAI_MODELS: 'm' }, 'OPENAI_BASE_URL'],
  ])('names the OPENAI_* variable at fault in %j', (env, variable) => {
    expect(configError(env).variable).toBe(variable);
  });

  it('turns the demo model off with STRATUS_DEMO_MODEL=false and rejects other values', () => {
    expect(loadModelsConfig({ ...NO_DEMO, OPENAI_API_KEY: 'k', OPENAI_MODELS: 'm' }).models.map((m) => m.id)).toEqual(['m']);
    expect(loadModelsConfig({ STRATUS_DEMO_MODEL: '0' }).models).toEqual([]);
    expect(loadModelsConfig({ STRATUS_DEMO_MODEL: 'TRUE' }).models.map((m) => m.id)).toEqual([DEMO_MODEL_ID]);
    expect(configError({ STRATUS_DEMO_MODEL: 'maybe' }).variable).toBe('STRATUS_DEMO_MODEL');
  });
});
