/**
 * The archive component: history that left Redis, in PostgreSQL (conversations, transcripts,
 * ratings), and search over it. Imports neither wechaty nor fastify.
 */
export { ArchiveError, type ArchiveErrorCode } from './errors.ts';
export { createPool, migrate, readMigrations, type Migration, type MigrationResult, type PoolOptions } from './db.ts';
export { searchTokens } from './tokens.ts';
export { startArchive, isUnavailable, type ArchiveService, type ArchiveStatus, type StartArchiveOptions } from './service.ts';
export { Archiver, type ArchiverOptions, type ArchiveStep, type RunResult } from './archiver.ts';
export { readConversation, readMessages, type ArchivedConversation, type MessagesQuery } from './read.ts';
export { ArchiveReports, createArchiveReports, type ArchiveReportsOptions, type ArchiveShortfall, type RatingCount, type ReportRange } from './reports.ts';
export { syncReports, type ReportsSyncContext, type ReportsSyncResult } from './reports-sync.ts';
