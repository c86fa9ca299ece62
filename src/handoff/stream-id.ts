import { KefuError } from '../errors.ts';

/**
 * Redis stream ids that come from clients ("read after this message"). Redis takes "<ms>-<seq>",
 * each part an unsigned 64-bit integer, and answers anything larger with an error that would reach
 * a client as a 500: ids are checked here, once, for the handoff and for every route that takes one.
 */

const MAX_PART = 2n ** 64n - 1n;
const SHAPE = /^(\d{1,20})(?:-(\d{1,20}))?$/;

/** The greatest stream id: nothing can come after it (and Redis refuses it as an exclusive start). */
export const LAST_STREAM_ID = `${MAX_PART}-${MAX_PART}`;

/** Whether `value` is a stream id Redis accepts; `seqOptional` also takes a bare "<ms>". */
export function isStreamId(value: string, opts: { seqOptional?: boolean } = {}): boolean {
  const m = SHAPE.exec(value);
  if (!m) return false;
  if (m[2] === undefined) return opts.seqOptional === true && BigInt(m[1]!) <= MAX_PART;
  return BigInt(m[1]!) <= MAX_PART && BigInt(m[2]) <= MAX_PART;
}

/** Same code as a malformed conversation id: the console answers it with 400. */
export class InvalidStreamIdError extends KefuError {
  constructor(value: string) {
    super('INVALID_ID', `a stream id is "<ms>-<seq>", each a whole number up to 2^64-1: ${JSON.stringify(value.slice(0, 64))}`);
  }
}

export function checkStreamId(value: string, opts: { seqOptional?: boolean } = {}): string {
  if (!isStreamId(value, opts)) throw new InvalidStreamIdError(value);
  return value;
}

/** -1, 0 or 1 as stream id `a` comes before, is, or comes after `b` ("<ms>-<seq>", compared as numbers: "9-0" < "10-0"). */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** The ms part of a stream id (Redis's clock when the entry was added). */
export const streamIdMs = (id: string): number => Number(id.split('-')[0]);
