/**
 * Per-socket flow control of what clients send. A token bucket lets a person's bursts through
 * (opening a chat, typing) while a script sending thousands of frames gets a handful handled.
 */

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(burst >= 1) || !(perSecond > 0)) throw new RangeError('a token bucket needs burst >= 1 and perSecond > 0');
    this.tokens = burst;
    this.at = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
  }

  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  /** How long until one token is there (0 when one is). */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}

/**
 * Frames within the bucket pass at once. Over it, only the newest frame is kept and passed when a
 * token is back: presence is state, so the latest `viewing`/`typing` is the one that matters, and a
 * flood costs O(1) per dropped frame (no parsing, no queue growing with the flood). `onLimited` is
 * called once per episode (until the bucket has refilled), for one error frame.
 */
export class FrameGate<T> {
  private pending: T | null = null;
  private timer: NodeJS.Timeout | undefined;
  private noticed = false;
  /** Frames dropped since the start (replaced by a newer one before a token came back). */
  dropped = 0;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly pass: (frame: T) => void,
    private readonly onLimited: () => void,
  ) {}

  offer(frame: T): void {
    if (this.timer === undefined) {
      if (this.bucket.isFull()) this.noticed = false;
      if (this.bucket.take()) {
        this.pass(frame);
        return;
      }
    }
    if (this.pending !== null) this.dropped++;
    this.pending = frame;
    if (!this.noticed) {
      this.noticed = true;
      this.onLimited();
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(this.release, Math.max(1, this.bucket.msUntilToken()));
      this.timer.unref();
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = null;
  }

  private readonly release = (): void => {
    this.timer = undefined;
    const frame = this.pending;
    this.pending = null;
    if (frame !== null) this.offer(frame);
  };
}
