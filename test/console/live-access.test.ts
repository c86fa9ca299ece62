/**
 * Issue 11, items 7 and 8: a disabled user's live socket stayed open and kept receiving events, and
 * the feed ignored roles (an editor, 403 on conversations, got every conversation event).
 */
import { describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { CLOSE_UNAUTHORIZED, revalidateLiveSessions } from '../../src/console/live.ts';
import type { HandoffEvent } from '../../src/handoff/index.ts';
import { PW, useLiveApp, type Conn } from '../support/live-app.ts';

const onlyWaitingSignals = (events: HandoffEvent[]): boolean =>
  events.every((e) => e.type === 'waiting' && e.conv === '' && Object.keys(e.data).length === 0);

describe('GET /api/live: what each role receives', () => {
  const ctx = useLiveApp({ alice: ['agent'], ed: ['editor'], mia: ['manager'], root: ['admin'] });

  it('sends conversation events to agents and managers, bot_status to managers, editors a bare handoff signal', async () => {
    const c = ctx();
    const [alice, ed, mia, root] = (await Promise.all(['alice', 'ed', 'mia', 'root'].map((u) => c.login(u)))) as [Conn, Conn, Conn, Conn];
    await c.handOff('c1');
    await c.handoff.setBotStatus('botA', { status: 'logged_out', at: new Date().toISOString() });
    // A message in a waiting chat (a list shows it); the bot's own chats' messages go only to who views them (live.test.ts).
    await c.handoff.recordMessage({ botId: 'botA', customerId: 'c1' }, { from: 'customer', text: '还在吗' });
    // A last event after the others on the same stream: once a socket has it, it has had its chance at the rest.
    await c.handOff('c2');
    const last = (x: Conn, what: string) => x.waitEvent((e) => e.type === 'waiting' && e.conv === 'botA.c2', what);
    await Promise.all([last(alice, 'alice'), last(mia, 'mia'), last(root, 'root'), ed.until(() => ed.events().length >= 2, 'editor signals')]);

    const types = (x: Conn) => x.events().map((e) => e.type);
    expect(types(alice)).toEqual(['waiting', 'message', 'waiting']);
    expect(types(mia)).toEqual(['waiting', 'bot_status', 'message', 'waiting']);
    expect(types(root)).toEqual(types(mia));
    expect(mia.events()[0]).toMatchObject({ conv: 'botA.c1', data: { reason: 'customer_asked' } });
    // The editor's 知识库 page re-reads unanswered questions on a handoff: that is all it learns.
    expect(ed.events()).toHaveLength(2);
    expect(onlyWaitingSignals(ed.events())).toBe(true);
    expect(JSON.stringify(ed.messages)).not.toContain('c1');
    expect(ed.events().map((e) => e.id)).toEqual(mia.events().filter((e) => e.type === 'waiting').map((e) => e.id));
  });

  it('filters a resume the same way', async () => {
    const c = ctx();
    await c.handOff('c1');
    const ed = await c.login('ed', { type: 'resume', positions: { botA: '0-0' } });
    const alice = await c.login('alice', { type: 'resume', positions: { botA: '0-0' } });
    await alice.until(() => alice.events().length === 2, 'alice catches up');
    // A live handoff after the catch-up: the editor's socket gets it after whatever the resume sent.
    await c.handOff('c2');
    await alice.until(() => alice.events().some((e) => e.conv === 'botA.c2'), 'alice live');
    expect(alice.events().map((e) => `${e.type} ${e.conv}`)).toEqual(['message botA.c1', 'waiting botA.c1', 'waiting botA.c2']);
    await ed.until(() => ed.events().length >= 2, 'the editor catches up');
    expect(ed.events()).toHaveLength(2);
    expect(onlyWaitingSignals(ed.events())).toBe(true);
  });

  it('refuses presence from roles that may not read conversations, and shows them none', async () => {
    const c = ctx();
    const alice = await c.login('alice');
    const ed = await c.login('ed');
    alice.send({ type: 'viewing', conv: 'botA.c1' });
    ed.send({ type: 'viewing', conv: 'botA.c1' });
    const err = await ed.until(() => ed.messages.find((m) => m.type === 'error'), 'error');
    expect(err).toMatchObject({ code: 'FORBIDDEN' });
    // After the editor's refusal, a change of alice's: the presence it brings would show the editor too.
    alice.send({ type: 'typing', conv: 'botA.c1' });
    await alice.until(() => (alice.presence('botA.c1')?.typing as unknown[] | undefined)?.length === 1, 'typing');
    expect(alice.presence('botA.c1')!.agents).toEqual([{ id: c.ids.alice, name: 'ALICE' }]);
    expect(ed.count('presence')).toBe(0);
  });

  it('follows a change of roles', async () => {
    const c = ctx();
    const ed = await c.login('ed');
    await c.handOff('c0');
    await ed.until(() => ed.events().length === 1, 'a signal');
    expect(onlyWaitingSignals(ed.events())).toBe(true);
    await c.agents.setRoles('ed', ['editor', 'agent']);
    await revalidateLiveSessions(c.agents);
    await c.handOff('c1');
    await ed.waitEvent((e) => e.type === 'waiting' && e.conv === 'botA.c1', 'a full waiting event');
    expect(ed.events().slice(1).map((e) => e.type)).toEqual(['waiting']);
  });
});

describe('GET /api/live: sessions that end', () => {
  const ctx = useLiveApp({ alice: ['agent'], bob: ['agent'] }, { revalidateMs: 200 });

  it('closes a disabled agent\'s sockets within seconds, also when another process disabled it', async () => {
    const c = ctx();
    const a1 = await c.login('alice');
    const a2 = await c.login('alice');
    const bob = await c.login('bob');
    // Another console process, or the kefu command: its own connection and store, same Redis.
    const elsewhere = new AgentStore(c.server.client(), c.prefix);
    await elsewhere.disable('alice');
    for (const a of [a1, a2]) expect(await a.waitClose()).toEqual({ code: CLOSE_UNAUTHORIZED, reason: 'session ended' });
    await c.handOff('c1');
    await bob.waitEvent((e) => e.type === 'waiting', 'bob still served');
    expect(bob.closed).toBeNull();
    expect(a1.events().concat(a2.events())).toEqual([]);
    // And it cannot come back.
    const again = await c.open();
    again.send({ type: 'auth', token: c.tokens.alice });
    expect((await again.waitClose()).code).toBe(CLOSE_UNAUTHORIZED);
  });

  it('closes the sockets of a session that logged out, not the same agent\'s other sessions', async () => {
    const c = ctx();
    const second = (await c.agents.login('alice', PW))!.token;
    const a1 = await c.login('alice');
    const other = await c.open();
    other.send({ type: 'auth', token: second });
    await other.until(() => other.messages.find((m) => m.type === 'hello'), 'hello');
    await c.agents.logout(c.tokens.alice!);
    expect((await a1.waitClose()).code).toBe(CLOSE_UNAUTHORIZED);
    await c.handOff('c1');
    await other.waitEvent((e) => e.type === 'waiting', 'the other session still served');
    expect(other.closed).toBeNull();
  });
});

describe('GET /api/live: an agent disabled in this process', () => {
  // No periodic check within the test: only the in-process notice can close the socket.
  const ctx = useLiveApp({ alice: ['agent'] }, { revalidateMs: 600_000 });

  it('closes at once', async () => {
    const c = ctx();
    const a = await c.login('alice');
    await c.agents.disable('alice');
    await revalidateLiveSessions(c.agents);
    expect((await a.waitClose()).code).toBe(CLOSE_UNAUTHORIZED);
  });
});
