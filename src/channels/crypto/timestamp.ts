/** Freshness of a callback's `timestamp`: a captured callback replayed later is refused. */
import { CallbackCryptoError } from './errors.ts';

export interface FreshnessOptions {
  /** Milliseconds since the epoch; injectable for tests. Default Date.now. */
  now?: () => number;
  /** The largest accepted distance from now, in seconds, either way. Default 300. */
  maxSkewS?: number;
}

/**
 * Throws CRYPTO_STALE_TIMESTAMP unless `timestamp` (seconds since the epoch, as WeChat sends it)
 * lies within `maxSkewS` of now. Future timestamps count too: a clock far ahead is as suspicious.
 */
export function assertFreshTimestamp(timestamp: string, options: FreshnessOptions = {}): void {
  const { now = Date.now, maxSkewS = 300 } = options;
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new CallbackCryptoError('CRYPTO_STALE_TIMESTAMP', 'the timestamp is not a number of seconds');
  }
  const skewS = Math.abs(now() / 1000 - Number(timestamp));
  if (skewS > maxSkewS) {
    throw new CallbackCryptoError('CRYPTO_STALE_TIMESTAMP', `the timestamp is ${Math.round(skewS)} s away from now (max ${maxSkewS} s)`);
  }
}

export function isFreshTimestamp(timestamp: string, options: FreshnessOptions = {}): boolean {
  try {
    assertFreshTimestamp(timestamp, options);
    return true;
  } catch {
    return false;
  }
}
