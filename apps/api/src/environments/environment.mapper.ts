import type { Environment, EnvironmentConfig, Metadata } from '@stratus/contracts';
import type { Environment as EnvironmentRow } from '@stratus/db';

export function toEnvironment(row: EnvironmentRow): Environment {
  return {
    id: row.id,
    type: 'environment',
    name: row.name,
    description: row.description,
    config: row.config as EnvironmentConfig,
    metadata: row.metadata as Metadata,
    archived_at: row.archivedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
