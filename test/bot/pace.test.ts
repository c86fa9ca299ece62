/**
 * The bot's pacer (src/bot/pace.ts): a burst of turns started in one go leaves the event loop every
 * slice, so what else waits on the loop (a timer here; an agent's reply read from Redis in the bot)
 * runs long before the burst ends; the turns still run, all of them, in the order they asked.
 */
import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/bot/pace.ts';

/** A turn's synchronous work: the CPU it takes between two awaits. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spinning on purpose
  }
}

/** Starts `n` turns at once, each `ms` of work; resolves with the order they ran and how many had run when a timer due at once fired. */
async function burst(n: number, ms: number, pacer: Pacer | undefined): Promise<{ order: number[]; beforeIo: number }> {
  const order: number[] = [];
  let beforeIo = -1;
  // Something else due at once: it runs when the loop comes round to it.
  const io = new Promise<void>((resolve) =>
    setTimeout(() => {
      beforeIo = order.length;
      resolve();
    }, 0),
  );
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      // As the turn does it: the check, then the work in the same synchronous stretch.
      while (pacer?.full()) await pacer.slice();
      busy(ms);
      order.push(i);
    }),
  );
  await io;
  return { order, beforeIo };
}

describe('Pacer', () => {
  it('without it, a burst holds the loop to its end (what the pacer is for)', async () => {
    const { beforeIo } = await burst(400, 0.25, undefined);
    expect(beforeIo).toBe(400);
  });

  it('with it, ready I/O runs after a slice of the burst, and every turn still runs, in order', async () => {
    const pacer = new Pacer(8);
    const { order, beforeIo } = await burst(400, 0.25, pacer);
    // 8 ms of 0.25 ms turns is 32 of them; the timer's phase comes round after at most two slices
    // (a busy machine may stretch a slice in time, never fill it with more turns).
    expect(beforeIo).toBeGreaterThan(0);
    expect(beforeIo).toBeLessThanOrEqual(2 * 33);
    expect(order).toEqual(Array.from({ length: 400 }, (_, i) => i));
  });

  it('a lone turn goes on at once, without waiting for the loop', async () => {
    const pacer = new Pacer(8);
    // Let any earlier slice end.
    await new Promise((r) => setImmediate(r));
    expect(pacer.full()).toBe(false);
    expect(pacer.full()).toBe(false);
  });
});
