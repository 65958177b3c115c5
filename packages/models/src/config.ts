import { z } from 'zod';

/** The built-in offline demo model: deterministic, no network, never presented as an LLM. */
export const DEMO_MODEL_ID = 'stratus-demo';
export const DEMO_PROVIDER = 'stratus';

const ModelEntry = z.union([
  z.string().min(1),
  z.strictObject({
    id: z.string().min(1),
    display_name: z.string().min(1).optional(),
    /** The id the upstream endpoint knows the model by, when it differs from the public id. */
    upstream_id: z.string().min(1).optional(),
  }),
]);

const ProviderEntry = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'must be lowercase letters, digits, "_" or "-"' }),
  base_url: z.url(),
  api_key: z.string().optional(),
  /** Name of an env variable holding the key, so the key itself stays out of the JSON. */
  api_key_env: z.string().optional(),
  models: z.array(ModelEntry).min(1),
});

export interface ProviderConfig {
  name: string;
  baseURL: string;
  apiKey: string;
  /** True for the built-in demo model, which is served in-process instead of over HTTP. */
  builtin: boolean;
}

export interface ModelConfig {
  id: string;
  displayName: string;
  provider: string;
  upstreamId: string;
}

export interface ModelsConfig {
  providers: ProviderConfig[];
  models: ModelConfig[];
}

/** Thrown for a bad model configuration; `variable` names the env variable at fault. */
export class ModelConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

function parseProviders(raw: string): z.infer<typeof ProviderEntry>[] {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ModelConfigError('STRATUS_MODEL_PROVIDERS', 'is not valid JSON');
  }
  const parsed = z.array(ProviderEntry).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelConfigError('STRATUS_MODEL_PROVIDERS', `${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Reads the model providers from the environment:
 * - `STRATUS_MODEL_PROVIDERS`: a JSON array of `{name, base_url, api_key | api_key_env, models}`;
 * - `OPENAI_API_KEY` / `OPENAI_BASE_URL` / `OPENAI_MODELS`: a default provider named "openai",
 *   read the way the openai SDK reads them;
 * - `STRATUS_DEMO_MODEL` (default true): the offline `stratus-demo` model.
 */
export function loadModelsConfig(env: NodeJS.ProcessEnv): ModelsConfig {
  const providers: ProviderConfig[] = [];
  const models: ModelConfig[] = [];
  const add = (provider: ProviderConfig, entries: z.infer<typeof ModelEntry>[], variable: string) => {
    if (providers.some((p) => p.name === provider.name)) throw new ModelConfigError(variable, `duplicate provider "${provider.name}"`);
    providers.push(provider);
    for (const entry of entries) {
      const model = typeof entry === 'string' ? { id: entry } : entry;
      if (models.some((m) => m.id === model.id)) throw new ModelConfigError(variable, `model "${model.id}" is configured twice`);
      models.push({
        id: model.id,
        displayName: ('display_name' in model && model.display_name) || model.id,
        provider: provider.name,
        upstreamId: ('upstream_id' in model && model.upstream_id) || model.id,
      });
    }
  };

  if (env.STRATUS_MODEL_PROVIDERS?.trim()) {
    for (const p of parseProviders(env.STRATUS_MODEL_PROVIDERS)) {
      const apiKey = p.api_key ?? (p.api_key_env ? env[p.api_key_env] : undefined);
      if (p.api_key_env && apiKey === undefined) {
        throw new ModelConfigError(p.api_key_env, `is not set (named by provider "${p.name}" in STRATUS_MODEL_PROVIDERS)`);
      }
      add({ name: p.name, baseURL: p.base_url, apiKey: apiKey ?? 'none', builtin: false }, p.models, 'STRATUS_MODEL_PROVIDERS');
    }
  }
  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) {
    const ids = (env.OPENAI_MODELS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length === 0) throw new ModelConfigError('OPENAI_MODELS', 'list the model ids to serve (comma-separated) when OPENAI_API_KEY or OPENAI_BASE_URL is set');
    const baseURL = env.OPENAI_BASE_URL || 'https://api.openai.com/v1';
    if (!z.url().safeParse(baseURL).success) throw new ModelConfigError('OPENAI_BASE_URL', 'is not a URL');
    add({ name: 'openai', baseURL, apiKey: env.OPENAI_API_KEY ?? 'none', builtin: false }, ids, 'OPENAI_MODELS');
  }
  const demo = (env.STRATUS_DEMO_MODEL ?? 'true').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(demo)) throw new ModelConfigError('STRATUS_DEMO_MODEL', 'must be true or false');
  if (demo === 'true' || demo === '1') {
    add(
      { name: DEMO_PROVIDER, baseURL: 'http://stratus-demo.invalid/v1', apiKey: 'none', builtin: true },
      [{ id: DEMO_MODEL_ID, display_name: 'Stratus demo (offline, scripted — not an LLM)' }],
      'STRATUS_DEMO_MODEL',
    );
  }
  return { providers, models };
}
