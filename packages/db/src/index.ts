/**
 * @module @stratus/db
 * The only package that imports Prisma: the generated client, its factory, the node-postgres pool
 * both it and the hot statements written in SQL use, ids, migrations and the box that encrypts
 * secrets at rest.
 */
export { createPrismaClient } from './client';
export { DATABASE_DEFAULTS, type DatabaseOptions } from './options';
export { createPool, prepared, queryRows } from './pool';
export type { Pool } from 'pg';
export {
  Prisma,
  PrismaClient,
  SessionStatus,
  type Agent,
  type AgentVersion,
  type ApiToken,
  type Environment,
  type Event,
  type IdempotencyKey,
  type Session,
  type Vault,
  type VaultCredential,
  type Webhook,
  type WebhookDelivery,
  type WebhookDeliveryAttempt,
  WebhookDeliveryStatus,
  type Workspace,
} from './generated/client';
export { newId } from './ids';
export { ensureDatabase, migrate, MIGRATIONS_DIR, type MigrationResult } from './migrate';
export { SecretBox } from './secret-box';
