/**
 * Issue 11, item 1: one signed-in user opened hundreds of live sockets and sent thousands of
 * viewing/typing messages; each was broadcast to every socket and the event loop stalled. Here the
 * same attack at a smaller scale (50 sockets, 2,000 messages) against a real app and Redis; the
 * bounds asserted are on what is observable (sockets accepted, frames received), not on timings.
 */
import { describe, expect, it } from 'vitest';
import { CLOSE_TOO_MANY, DEFAULT_MAX_SOCKETS_PER_AGENT } from '../../src/console/live.ts';
import { FrameGate, TokenBucket } from '../../src/console/live/bucket.ts';
import { useLiveApp, type Conn } from '../support/live-app.ts';
import { waitFor } from '../support/waits.ts';

const ctx = useLiveApp({ mallory: ['agent'], bob: ['agent'] });

const SOCKETS = 50;
const MESSAGES = 2_000;

/** Opens `n` sockets of `as` at once and waits until each got hello or was closed. */
async function crowd(as: string, n: number): Promise<{ open: Conn[]; refused: Conn[] }> {
  const c = ctx();
  const conns = await Promise.all(Array.from({ length: n }, () => c.open()));
  for (const conn of conns) conn.send({ type: 'auth', token: c.tokens[as] });
  await Promise.all(conns.map((conn) => conn.until(() => conn.closed || conn.messages.some((m) => m.type === 'hello'), 'hello or close')));
  return { open: conns.filter((x) => !x.closed), refused: conns.filter((x) => x.closed) };
}

describe('GET /api/live: a presence flood', () => {
  it('caps the sockets per user, rate-limits and coalesces presence, and keeps serving others', async () => {
    const c = ctx();
    expect(DEFAULT_MAX_SOCKETS_PER_AGENT).toBe(10);
    const { open, refused } = await crowd('mallory', SOCKETS);
    expect(open).toHaveLength(DEFAULT_MAX_SOCKETS_PER_AGENT);
    expect(refused).toHaveLength(SOCKETS - DEFAULT_MAX_SOCKETS_PER_AGENT);
    for (const r of refused) {
      expect(r.closed!.code).toBe(CLOSE_TOO_MANY);
      expect(r.closed!.reason).toMatch(/too many live connections/);
      expect(r.count('event') + r.count('presence')).toBe(0);
    }

    // A well-behaved agent and the attacker's other sockets look at one conversation.
    const bob = await c.login('bob');
    bob.send({ type: 'viewing', conv: 'botA.c1' });
    const [flooder, ...watchers] = open as [Conn, ...Conn[]];
    for (const w of watchers) w.send({ type: 'viewing', conv: 'botA.c1' });
    await bob.until(() => (bob.presence('botA.c1')?.agents as unknown[] | undefined)?.length === 2, 'both viewing');

    // The flood: 2,000 viewing/typing messages in one go, elsewhere; the last one types in botA.c1.
    for (let i = 0; i < MESSAGES - 1; i++) {
      flooder.send(i % 2 === 0 ? { type: 'viewing', conv: `botA.f${i % 97}` } : { type: 'typing', conv: `botA.f${i % 89}` });
    }
    flooder.send({ type: 'typing', conv: 'botA.c1' });

    // Meanwhile the rest of the console works: a handoff reaches bob, /healthz answers.
    await c.handOff('c9');
    await bob.waitEvent((e) => e.type === 'waiting' && e.conv === 'botA.c9', 'a waiting event during the flood');
    const health = await c.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);

    // The newest message is never lost, only the ones in between: bob ends up seeing the typing.
    await bob.until(
      () => (bob.presence('botA.c1')?.typing as { name: string }[] | undefined)?.some((t) => t.name === 'MALLORY'),
      'the flood\'s last message applied',
      10_000,
    );

    // Bounded frames: without coalescing and the rate limit each socket got one frame per message.
    expect(bob.count('presence')).toBeLessThanOrEqual(10);
    for (const w of watchers) expect(w.count('presence')).toBeLessThanOrEqual(10);
    expect(flooder.count('presence')).toBeLessThanOrEqual(40);
    // One notice for the whole burst, and the socket stays open.
    expect(flooder.messages.filter((m) => m.type === 'error' && m.code === 'RATE_LIMITED')).toHaveLength(1);
    expect(flooder.closed).toBeNull();

    // Still at the cap: one more is refused; closing one frees its slot.
    const more = await crowd('mallory', 1);
    expect(more.refused).toHaveLength(1);
    watchers[0]!.ws.close();
    await watchers[0]!.waitClose();
    const again = await crowd('mallory', 1);
    expect(again.open).toHaveLength(1);
  }, 30_000);

  it('sends presence only to sockets viewing the conversation, once per change', async () => {
    const c = ctx();
    const bob = await c.login('bob');
    const other = await c.login('mallory');
    bob.send({ type: 'viewing', conv: 'botA.c1' });
    other.send({ type: 'viewing', conv: 'botA.c2' });
    await bob.until(() => bob.presence('botA.c1'), 'presence of c1');
    // Typing again in the same conversation only renews the mark: nothing new is sent.
    for (let i = 0; i < 5; i++) bob.send({ type: 'typing', conv: 'botA.c1' });
    await bob.until(() => (bob.presence('botA.c1')?.typing as unknown[] | undefined)?.length === 1, 'typing');
    other.send({ type: 'viewing', conv: 'botA.c1' });
    await bob.until(() => (bob.presence('botA.c1')?.agents as unknown[] | undefined)?.length === 2, 'other viewing');
    const seen = bob.count('presence');
    expect(seen).toBeLessThanOrEqual(3);
    await other.until(() => other.presence('botA.c1'), 'the newcomer gets the presence of c1');
    expect(other.presence('botA.c1')).toMatchObject({ agents: [{ name: 'BOB' }, { name: 'MALLORY' }], typing: [{ name: 'BOB' }] });
    expect(other.messages.filter((m) => m.type === 'presence' && m.conv !== 'botA.c2' && m.conv !== 'botA.c1')).toEqual([]);
  });
});

describe('FrameGate', () => {
  it('passes a burst, then keeps only the newest frame until a token is back', async () => {
    let now = 0;
    const bucket = new TokenBucket(3, 1000, () => now);
    const passed: number[] = [];
    let notices = 0;
    const gate = new FrameGate<number>(bucket, (n) => passed.push(n), () => notices++);
    for (let i = 1; i <= 10; i++) gate.offer(i);
    expect(passed).toEqual([1, 2, 3]);
    expect(notices).toBe(1);
    expect(gate.dropped).toBe(6);
    now += 5; // several tokens back: the timer passes the newest frame
    await waitFor('the held frame to pass', () => passed.length > 3);
    expect(passed).toEqual([1, 2, 3, 10]);
    gate.stop();
  });
});
