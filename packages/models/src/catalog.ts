import type { ModelConfig, ModelsConfig, ProviderConfig } from './config';

/** What GET /models returns for one model. */
export interface ModelInfo {
  id: string;
  type: 'model';
  display_name: string;
  provider: string;
}

/** The deployment's models, looked up by public id. */
export class ModelCatalog {
  private readonly byId: Map<string, ModelConfig>;

  constructor(private readonly config: ModelsConfig) {
    this.byId = new Map(config.models.map((m) => [m.id, m]));
  }

  /** Every configured model, in configuration order. */
  list(): ModelInfo[] {
    return this.config.models.map((m) => ({ id: m.id, type: 'model', display_name: m.displayName, provider: m.provider }));
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The model and the provider that serves it, or undefined for an unknown id. */
  resolve(id: string): { model: ModelConfig; provider: ProviderConfig } | undefined {
    const model = this.byId.get(id);
    if (!model) return undefined;
    const provider = this.config.providers.find((p) => p.name === model.provider)!;
    return { model, provider };
  }
}
