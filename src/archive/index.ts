/**
 * The archive component: history that left Redis, in PostgreSQL (conversations, transcripts,
 * ratings), and search over it. Imports neither wechaty nor fastify.
 */
export { ArchiveError, type ArchiveErrorCode } from './errors.ts';
export { createPool, migrate, readMigrations, type Migration, type MigrationResult, type PoolOptions } from './db.ts';
export { searchTokens } from './tokens.ts';
