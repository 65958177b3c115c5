import { Controller, Get, Inject } from '@nestjs/common';
import type { ModelCatalog, ModelInfo } from '@stratus/models';
import { MODEL_CATALOG } from '@stratus/nest-common';

@Controller('models')
export class ModelsController {
  constructor(@Inject(MODEL_CATALOG) private readonly models: ModelCatalog) {}

  /** The models this deployment serves, from its provider configuration. */
  @Get()
  list(): { data: ModelInfo[] } {
    return { data: this.models.list() };
  }
}
