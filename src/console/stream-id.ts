import { z } from 'zod';
import { isStreamId } from '../handoff/stream-id.ts';

/**
 * A stream id from a client (a message or event to continue after), for every route or socket
 * message that takes one: in range, or a 400 rather than Redis's error as a 500.
 */
export const streamIdSchema = (opts: { seqOptional?: boolean; message?: string } = {}) =>
  z.string().refine((v) => isStreamId(v, opts), { message: opts.message ?? 'must be a stream id "<ms>-<seq>" (each at most 2^64-1)' });
