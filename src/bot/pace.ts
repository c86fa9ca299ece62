/**
 * Keeps the bot's event loop turning during a burst of customer messages. A burst (a puppet's
 * batch of messages, or Redis's answers to a few hundred turns in one read) would otherwise run
 * every turn's next step in one go, and whatever else waits on the loop (an agent's reply read
 * from the outbound stream, the answers of other Redis calls, a health check) would wait for the
 * whole burst: at 0.3-0.5 ms a turn, a couple of hundred turns are 100 ms and more, longer still
 * when the machine's CPUs are busy.
 *
 * A turn asks before its synchronous work: `while (pacer.full()) await pacer.slice();`, with the
 * work right after it, in the same synchronous stretch. Wrapped in an async helper it would not
 * work: every waiting turn would check in before any of them ran, all in one slice. It changes
 * when turns run, never their order per customer (each customer's turns are a chain; pacing delays
 * a link, it does not reorder the chain), and turns that waited run in the order they asked.
 */
export class Pacer {
  /** When the current slice began (0: no slice running). */
  private sliceStart = 0;
  /** The next slice, shared by every turn waiting for it. */
  private next?: Promise<void>;

  constructor(private readonly sliceMs = 8) {}

  /** True when this turn of the event loop has run turns for `sliceMs`: wait for `slice()`, then ask again. */
  full(): boolean {
    const now = performance.now();
    if (this.sliceStart === 0) {
      this.sliceStart = now;
      // The slice ends with this turn of the loop, whatever ran in it.
      setImmediate(() => (this.sliceStart = 0));
      return false;
    }
    return now - this.sliceStart >= this.sliceMs;
  }

  /** The next slice: the loop's next turn, after the I/O ready by then. */
  slice(): Promise<void> {
    this.next ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.next = undefined;
        this.sliceStart = 0;
        resolve();
      }),
    );
    return this.next;
  }
}
