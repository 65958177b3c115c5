import { Networking as SandboxNetworking } from '@stratus/sandbox-protocol';
import { z } from 'zod';
import { Metadata, Timestamp } from './common';

/** The environment's networking policy, defined with the sandbox contract that enforces it. */
export const Networking = SandboxNetworking.meta({ id: 'Networking' });
export type Networking = z.infer<typeof Networking>;

const PackageName = z.string().min(1).max(214).regex(/^[A-Za-z0-9@][A-Za-z0-9@._+:/=<>~^*!-]*$/, { message: 'not a valid package spec' });
const PackageList = z.array(PackageName).max(256).default([]);

/** Kubernetes-style quantities: "1", "500m", "2Gi", "512Mi". */
const CpuQuantity = z.string().regex(/^([0-9]+(\.[0-9]+)?|[0-9]+m)$/, { message: 'must be a CPU quantity like "1" or "500m"' });
const MemoryQuantity = z.string().regex(/^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$/, { message: 'must be a memory quantity like "2Gi"' });

export const EnvironmentConfig = z
  .strictObject({
    type: z.literal('cloud'),
    networking: Networking.default({ type: 'unrestricted' }),
    packages: z.strictObject({ apt: PackageList, pip: PackageList, npm: PackageList }).default({ apt: [], pip: [], npm: [] }),
    image: z.string().min(1).max(512).optional(),
    resources: z.strictObject({ cpu: CpuQuantity.default('1'), memory: MemoryQuantity.default('2Gi') }).default({ cpu: '1', memory: '2Gi' }),
    setup_script: z.string().max(65_536).optional(),
  })
  .meta({ id: 'EnvironmentConfig' });
export type EnvironmentConfig = z.infer<typeof EnvironmentConfig>;

const DEFAULT_CONFIG = EnvironmentConfig.parse({ type: 'cloud' });

export const CreateEnvironmentRequest = z
  .strictObject({
    name: z.string().min(1).max(256),
    description: z.string().max(2048).default(''),
    config: EnvironmentConfig.default(DEFAULT_CONFIG),
    metadata: Metadata.default({}),
  })
  .meta({ id: 'CreateEnvironmentRequest' });
export type CreateEnvironmentRequest = z.infer<typeof CreateEnvironmentRequest>;

export const UpdateEnvironmentRequest = z
  .strictObject({
    name: z.string().min(1).max(256).optional(),
    description: z.string().max(2048).optional(),
    config: EnvironmentConfig.optional(),
    metadata: Metadata.optional(),
  })
  .meta({ id: 'UpdateEnvironmentRequest' });
export type UpdateEnvironmentRequest = z.infer<typeof UpdateEnvironmentRequest>;

export const Environment = z
  .object({
    id: z.string(),
    type: z.literal('environment'),
    name: z.string(),
    description: z.string(),
    config: EnvironmentConfig,
    metadata: Metadata,
    archived_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Environment' });
export type Environment = z.infer<typeof Environment>;

export const EnvironmentDeleted = z.object({ id: z.string(), type: z.literal('environment_deleted') }).meta({ id: 'EnvironmentDeleted' });
