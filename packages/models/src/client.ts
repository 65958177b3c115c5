import OpenAI from 'openai';
import type { ModelCatalog } from './catalog';
import type { ProviderConfig } from './config';
import { demoModelFetch } from './demo-endpoint';

/**
 * How long a model call may take until the response headers arrive. For a stream that is the wait
 * for the first byte (a busy vLLM or a queueing proxy can hold a request a while); a stream that
 * stalls after its headers is not cut by it.
 */
export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;

export interface ModelClientOptions {
  /** The SDK's `timeout`, in milliseconds; {@link DEFAULT_MODEL_TIMEOUT_MS} by default. */
  timeoutMs?: number;
}

export interface ModelClient {
  /** The OpenAI SDK client of the model's provider; call Chat Completions with `model: upstreamModel`. */
  client: OpenAI;
  /** The id the provider knows the model by. */
  upstreamModel: string;
  provider: ProviderConfig;
}

/** Thrown for a model id that the deployment does not configure (any more). */
export class UnknownModelError extends Error {
  constructor(readonly modelId: string) {
    super(`unknown model "${modelId}": not in the deployment's model configuration`);
  }
}

// One client per provider (and timeout) of a catalog, so that calls share the SDK's connection pool;
// weakly held, so a catalog that is replaced takes its clients with it.
const clients = new WeakMap<ModelCatalog, Map<string, OpenAI>>();

/** The OpenAI client, upstream model id and provider to call a catalog's model with. */
export function createModelClient(catalog: ModelCatalog, modelId: string, options: ModelClientOptions = {}): ModelClient {
  const resolved = catalog.resolve(modelId);
  if (!resolved) throw new UnknownModelError(modelId);
  const { model, provider } = resolved;
  const timeout = options.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;

  let byProvider = clients.get(catalog);
  if (!byProvider) clients.set(catalog, (byProvider = new Map<string, OpenAI>()));
  const key = `${provider.name}:${timeout}`;
  let client = byProvider.get(key);
  if (!client) {
    client = new OpenAI({
      apiKey: provider.apiKey,
      baseURL: provider.baseURL,
      timeout,
      // The worker retries by its own policy, so that each retry is reported as a session event.
      maxRetries: 0,
      // The built-in demo model is answered in-process, through the same SDK code path.
      ...(provider.builtin ? { fetch: demoModelFetch } : {}),
    });
    byProvider.set(key, client);
  }
  return { client, upstreamModel: model.upstreamId, provider };
}
