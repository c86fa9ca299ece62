import { KefuError } from '../errors.ts';

export type ArchiveErrorCode =
  /** PostgreSQL cannot be reached or refused the connection. */
  | 'ARCHIVE_UNAVAILABLE'
  /** A migration file failed to apply (its name and PostgreSQL's message say why). */
  | 'ARCHIVE_MIGRATION_FAILED'
  /** The database holds migrations this version of kefu-bridge does not know (a newer version wrote it). */
  | 'ARCHIVE_SCHEMA_NEWER';

export class ArchiveError extends KefuError {
  declare readonly code: ArchiveErrorCode;
  constructor(code: ArchiveErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
