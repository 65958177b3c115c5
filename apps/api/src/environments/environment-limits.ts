import path from 'node:path';
import { parseEnv, type EnvironmentConfig } from '@stratus/contracts';
import { invalidRequest } from '@stratus/nest-common';
import { z } from 'zod';
import { cpuCores, memoryBytes } from './resource-quantity';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The operator's limits on what an environment may ask for, from env (unset: no limit). */
const LimitsEnv = z.object({
  // Comma-separated glob patterns (`*` stays within one path segment, `**` crosses them).
  STRATUS_SANDBOX_ALLOWED_IMAGES: optionalText.transform((text) =>
    text
      ?.split(',')
      .map((pattern) => pattern.trim())
      .filter((pattern) => pattern !== ''),
  ),
  STRATUS_ENVIRONMENT_MAX_CPU: optionalText.refine((v) => v === undefined || cpuCores(v) !== undefined, 'must be a CPU quantity like "4" or "500m"'),
  STRATUS_ENVIRONMENT_MAX_MEMORY: optionalText.refine((v) => v === undefined || memoryBytes(v) !== undefined, 'must be a memory quantity like "8Gi"'),
});

/**
 * Refuses environment configs outside the operator's limits, at create and update, so a sandbox that
 * could never be allowed is a 400 to the client rather than a failure at the first turn: images
 * outside STRATUS_SANDBOX_ALLOWED_IMAGES, and cpu or memory above STRATUS_ENVIRONMENT_MAX_CPU / _MEMORY.
 */
export class EnvironmentLimits {
  private constructor(
    private readonly allowedImages: readonly string[] | undefined,
    private readonly maxCpu: string | undefined,
    private readonly maxMemory: string | undefined,
  ) {}

  /** Parses the limits once at boot; throws naming each bad variable. */
  static fromEnv(env: NodeJS.ProcessEnv): EnvironmentLimits {
    const e = parseEnv(LimitsEnv, env);
    const images = e.STRATUS_SANDBOX_ALLOWED_IMAGES;
    return new EnvironmentLimits(images === undefined || images.length === 0 ? undefined : images, e.STRATUS_ENVIRONMENT_MAX_CPU, e.STRATUS_ENVIRONMENT_MAX_MEMORY);
  }

  /** Throws a 400 naming the offending field when `config` is outside the limits. */
  check(config: EnvironmentConfig): void {
    const { image, resources } = config;
    if (image !== undefined && this.allowedImages !== undefined && !this.allowedImages.some((pattern) => path.posix.matchesGlob(image, pattern))) {
      throw invalidRequest(`Image "${image}" is not allowed on this deployment; allowed images: ${this.allowedImages.join(', ')}.`, 'config.image');
    }
    if (this.maxCpu !== undefined && (cpuCores(resources.cpu) ?? Infinity) > cpuCores(this.maxCpu)!) {
      throw invalidRequest(`resources.cpu "${resources.cpu}" is above this deployment's maximum of ${this.maxCpu}.`, 'config.resources.cpu');
    }
    if (this.maxMemory !== undefined && (memoryBytes(resources.memory) ?? Infinity) > memoryBytes(this.maxMemory)!) {
      throw invalidRequest(`resources.memory "${resources.memory}" is above this deployment's maximum of ${this.maxMemory}.`, 'config.resources.memory');
    }
  }
}
