/**
 * Running the team from the browser, through the API (app.inject) on a real redis-server: accounts
 * (add, roles, display name, disable, reset password) by an admin only; a transfer with a private
 * note for the new owner; the name a customer hears when an agent joins; a known problem's
 * customer-facing title, renamed while open and used in the fix notice.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore, type Role } from '../../src/console/auth/index.ts';
import { fieldsOf } from '../../src/handoff/convert.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_s, c) => (redis = c));

const PW = 'correct horse battery';
const USERS: Record<string, { roles: Role[]; name: string; displayName?: string }> = {
  root: { roles: ['admin'], name: 'Administrator' },
  alice: { roles: ['agent'], name: '李爱丽（夜班）', displayName: '小爱' },
  bob: { roles: ['agent'], name: 'Bob Zhang' },
  mia: { roles: ['manager'], name: '经理米娅' },
};
let app: FastifyInstance;
let handoff: Handoff;
let agents: AgentStore;
let tokens: Record<string, string>;

beforeEach(async () => {
  const prefix = randomPrefix();
  // The console's claims tell the customer who joined, as in production.
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, announceClaims: true });
  agents = new AgentStore(redis, prefix);
  tokens = {};
  for (const [username, u] of Object.entries(USERS)) {
    await agents.add({ username, password: PW, ...u });
    tokens[username] = (await agents.login(username, PW))!.token;
  }
  app = await buildApp({ handoff, agents, redis, ui: false });
});
afterEach(async () => {
  await app.close();
});

function call(method: 'GET' | 'POST', url: string, as: string | null, body?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: as ? { authorization: `Bearer ${tokens[as] ?? as}` } : {},
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}
const json = <T>(r: LightMyRequestResponse, status = 200): T => {
  expect(r.statusCode, r.body).toBe(status);
  return r.json<T>();
};
const idOf = async (username: string): Promise<string> => (await agents.get(username))!.id;

async function waiting(botId: string, customerId: string): Promise<string> {
  const ref = { botId, customerId, customerName: customerId };
  await handoff.recordMessage(ref, { from: 'customer', text: '导出一直失败' });
  await handoff.requestHuman(ref, { reason: 'customer_asked' });
  return `${botId}.${customerId}`;
}
const outbound = async (botId: string, kind: string) =>
  (await redis.xrange(handoff.keys.outbound(botId), '-', '+')).map(([, f]) => fieldsOf(f)).filter((f) => f.kind === kind);

interface Account {
  id: string;
  username: string;
  name: string;
  displayName: string;
  roles: Role[];
  disabled: boolean;
  lockedUntil: string | null;
  online: boolean;
}

describe('accounts, by an admin', () => {
  it('adds an account with a generated password shown once; the new agent logs in with it', async () => {
    const res = json<{ agent: Account; password: string }>(
      await call('POST', '/api/agents', 'root', { username: 'carol', name: '王卡罗', displayName: '小卡', roles: ['agent', 'editor'] }),
      201,
    );
    expect(res.agent).toMatchObject({ username: 'carol', name: '王卡罗', displayName: '小卡', roles: ['agent', 'editor'], disabled: false, lockedUntil: null });
    expect(res.password.length).toBeGreaterThanOrEqual(10);
    expect(await agents.verify('carol', res.password)).toMatchObject({ username: 'carol' });
    // Listed for admins with every detail, and for transfers.
    const all = json<{ items: Account[] }>(await call('GET', '/api/agents?all=1', 'root')).items;
    expect(all.map((a) => a.username)).toEqual(['alice', 'bob', 'carol', 'mia', 'root']);
    expect(JSON.stringify(all)).not.toMatch(/scrypt|"pw"/);
    const forTransfer = json<{ items: Account[] }>(await call('GET', '/api/agents', 'alice')).items;
    expect(forTransfer.find((a) => a.username === 'carol')).toMatchObject({ displayName: '小卡' });
  });

  it('a typed password must pass the policy; a taken username is 409; every invalid field is named', async () => {
    const weak = await call('POST', '/api/agents', 'root', { username: 'dan', roles: ['agent'], password: '12345678' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.message).toMatch(/body\.password: must be at least 10 characters/);
    expect(weak.json().error.message).toMatch(/至少/);
    const bad = await call('POST', '/api/agents', 'root', { username: 'Dan!', roles: ['agent'], displayName: '{agent}' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/displayName/);
    const taken = await call('POST', '/api/agents', 'root', { username: 'alice', roles: ['agent'] });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('CONFLICT');
    expect(await agents.get('dan')).toBeNull();
  });

  it('changes roles and the display name; disabling ends the sessions at once; enabling lets the person back', async () => {
    const bob = await idOf('bob');
    const changed = json<Account>(await call('POST', `/api/agents/${bob}`, 'root', { roles: ['agent', 'manager'], displayName: '小张' }));
    expect(changed).toMatchObject({ roles: ['agent', 'manager'], displayName: '小张', name: 'Bob Zhang' });
    expect(json<{ agent: { roles: Role[] } }>(await call('GET', '/api/auth/me', 'bob')).agent.roles).toEqual(['agent', 'manager']);

    expect(json<Account>(await call('POST', `/api/agents/${bob}`, 'root', { disabled: true })).disabled).toBe(true);
    expect((await call('GET', '/api/auth/me', 'bob')).statusCode).toBe(401);
    expect((await call('POST', '/api/auth/login', null, { username: 'bob', password: PW })).statusCode).toBe(401);
    json(await call('POST', `/api/agents/${bob}`, 'root', { disabled: false }));
    expect((await call('POST', '/api/auth/login', null, { username: 'bob', password: PW })).statusCode).toBe(200);
  });

  it('disabling an agent puts their open chats back in the queue (nobody waits for someone who cannot log in)', async () => {
    await agents.add({ username: 'dora', roles: ['agent'], password: PW });
    const dora = (await agents.get('dora'))!;
    const ref = { botId: 'botA', customerId: 'c-dora' };
    await handoff.recordMessage(ref, { from: 'customer', text: '我要退款' });
    await handoff.requestHuman(ref, { reason: 'customer_asked' });
    const id = `${ref.botId}.${ref.customerId}`;
    await handoff.claim(id, { id: dora.id, name: dora.name });
    const res = json<Account & { releasedChats?: number }>(await call('POST', `/api/agents/${dora.id}`, 'root', { disabled: true }));
    expect(res).toMatchObject({ disabled: true, releasedChats: 1 });
    expect(await handoff.conversation(id)).toMatchObject({ status: 'waiting' });
    expect((await handoff.conversation(id))!.assignee).toBeFalsy();
    // Disabled already: nothing more to release.
    expect(json<Account & { releasedChats?: number }>(await call('POST', `/api/agents/${dora.id}`, 'root', { disabled: true })).releasedChats).toBeUndefined();
  });

  it('an admin cannot lock themselves out: no disabling their own account, no dropping their own admin role', async () => {
    const root = await idOf('root');
    const off = await call('POST', `/api/agents/${root}`, 'root', { disabled: true });
    expect(off.statusCode).toBe(409);
    const demoted = await call('POST', `/api/agents/${root}`, 'root', { roles: ['agent'] });
    expect(demoted.statusCode).toBe(409);
    expect((await agents.get('root'))!).toMatchObject({ disabled: false, roles: ['admin'] });
    // Their own display name is fine.
    expect(json<Account>(await call('POST', `/api/agents/${root}`, 'root', { displayName: '小管' })).displayName).toBe('小管');
  });

  it('resets a password: generated and shown once, the old one and every session stop working, a lock is lifted', async () => {
    const alice = await idOf('alice');
    for (let i = 0; i < 3; i++) await agents.login('alice', 'wrong password!').catch(() => undefined);
    const res = json<{ id: string; password: string }>(await call('POST', `/api/agents/${alice}/password`, 'root', {}));
    expect(res.id).toBe(alice);
    expect((await call('GET', '/api/auth/me', 'alice')).statusCode).toBe(401);
    expect(await agents.verify('alice', PW)).toBeNull();
    expect(await agents.verify('alice', res.password)).toMatchObject({ username: 'alice' });
    expect((await agents.lockState('alice')).failures).toBe(0);
    // A typed one is not echoed back.
    const typed = json<Record<string, unknown>>(await call('POST', `/api/agents/${alice}/password`, 'root', { password: 'a brand new passphrase' }));
    expect(typed.password).toBeUndefined();
    expect(await agents.verify('alice', 'a brand new passphrase')).toBeTruthy();
  });

  it('only admins: a manager or an agent gets 403 for every account route, and nothing changes', async () => {
    const bob = await idOf('bob');
    for (const who of ['mia', 'alice']) {
      expect((await call('GET', '/api/agents?all=1', who)).statusCode).toBe(403);
      expect((await call('POST', '/api/agents', who, { username: 'eve', roles: ['admin'] })).statusCode).toBe(403);
      expect((await call('POST', `/api/agents/${bob}`, who, { roles: ['admin'] })).statusCode).toBe(403);
      expect((await call('POST', `/api/agents/${bob}/password`, who, {})).statusCode).toBe(403);
    }
    expect(await agents.get('eve')).toBeNull();
    expect((await agents.get('bob'))!.roles).toEqual(['agent']);
    expect((await call('POST', '/api/agents/ag_nobody', 'root', { displayName: 'x' })).statusCode).toBe(404);
  });
});

describe('the customer hears the display name, never the internal one', () => {
  it('a claim by an agent with a display name says it; one without says no name at all', async () => {
    const c1 = await waiting('kefu-a', 'c1');
    const c2 = await waiting('kefu-a', 'c2');
    json(await call('POST', `/api/conversations/${c1}/claim`, 'alice'));
    json(await call('POST', `/api/conversations/${c2}/claim`, 'root'));
    const joined = await outbound('kefu-a', 'joined');
    expect(joined.map((f) => [f.conv, f.text])).toEqual([
      [c1, '小爱'],
      [c2, ''],
    ]);
    // The console still shows colleagues the internal name.
    expect(json<{ assignee: { name: string } }>(await call('GET', `/api/conversations/${c1}`, 'alice')).assignee.name).toBe('李爱丽（夜班）');
  });
});

describe('transfer with a note', () => {
  it('the note is a private note in the transcript right after the transfer, by the sender, and rides on the event', async () => {
    const id = await waiting('kefu-a', 'c3');
    json(await call('POST', `/api/conversations/${id}/claim`, 'alice'));
    const bob = (await agents.get('bob'))!;
    const res = json<{ assignee: { id: string } }>(
      await call('POST', `/api/conversations/${id}/transfer`, 'alice', { to: 'bob', note: '客户要开专票，已核对抬头，请帮忙走财务流程' }),
    );
    expect(res.assignee.id).toBe(bob.id);
    const conv = json<{ messages: { from: string; text: string }[] }>(await call('GET', `/api/conversations/${id}`, 'bob'));
    const tail = conv.messages.slice(-2);
    expect(tail[0]).toMatchObject({ from: 'system' });
    expect(tail[1]).toMatchObject({ from: 'note', text: '客户要开专票，已核对抬头，请帮忙走财务流程' });
    const raw = (await redis.xrange(handoff.keys.transcript(id), '-', '+')).map(([, f]) => fieldsOf(f));
    expect(raw.at(-1)).toMatchObject({ from: 'note', agentName: '李爱丽（夜班）', transferTo: bob.id });
    const events = (await redis.xrange(handoff.keys.events('kefu-a'), '-', '+')).map(([, f]) => fieldsOf(f));
    expect(events.find((e) => e.type === 'transferred')).toMatchObject({ note: '客户要开专票，已核对抬头，请帮忙走财务流程', noteBy: '李爱丽（夜班）' });
    // Never to the customer.
    expect(JSON.stringify(await redis.xrange(handoff.keys.outbound('kefu-a'), '-', '+'))).not.toContain('专票');
  });

  it('without a note nothing extra is written; a refused transfer writes no note either', async () => {
    const id = await waiting('kefu-a', 'c4');
    json(await call('POST', `/api/conversations/${id}/claim`, 'alice'));
    const before = await redis.xlen(handoff.keys.transcript(id));
    json(await call('POST', `/api/conversations/${id}/transfer`, 'alice', { to: 'bob' }));
    expect(await redis.xlen(handoff.keys.transcript(id))).toBe(before + 1);
    // Alice no longer owns it: her transfer (with a note) is refused and leaves no trace.
    const refused = await call('POST', `/api/conversations/${id}/transfer`, 'alice', { to: 'alice', note: '再转回来' });
    expect(refused.statusCode).toBe(409);
    expect(await redis.xlen(handoff.keys.transcript(id))).toBe(before + 1);
    const long = await call('POST', `/api/conversations/${id}/transfer`, 'bob', { to: 'alice', note: '长'.repeat(501) });
    expect(long.statusCode).toBe(400);
  });
});

describe('known problems: what customers are told', () => {
  it('created with a customer-facing title, renamed while open; the fix notice says that title, never the internal one', async () => {
    const created = json<{ id: string; title: string; publicTitle: string }>(
      await call('POST', '/api/problems', 'alice', { title: 'P0 iOS17 ReplayKit 编码器崩溃', publicTitle: 'iPhone 录屏黑屏' }),
      201,
    );
    expect(created).toMatchObject({ title: 'P0 iOS17 ReplayKit 编码器崩溃', publicTitle: 'iPhone 录屏黑屏' });
    const renamed = json<{ publicTitle: string; title: string }>(await call('POST', `/api/problems/${created.id}`, 'bob', { publicTitle: 'iPhone 上录屏黑屏' }));
    expect(renamed).toMatchObject({ title: 'P0 iOS17 ReplayKit 编码器崩溃', publicTitle: 'iPhone 上录屏黑屏' });
    const id = await waiting('kefu-a', 'c5');
    json(await call('POST', `/api/conversations/${id}/problem`, 'alice', { problemId: created.id }));
    json(await call('POST', `/api/problems/${created.id}/fixed`, 'mia', { note: '已在 3.2.1 修复，升级后即可' }));
    const fixed = await outbound('kefu-a', 'fixed');
    expect(fixed.map((f) => f.title)).toEqual(['iPhone 上录屏黑屏']);
    // A fixed problem is final.
    const late = await call('POST', `/api/problems/${created.id}`, 'alice', { publicTitle: '别的' });
    expect(late.statusCode).toBe(409);
  });

  it('without a customer-facing title the title is said; a too-long or multi-line one is refused', async () => {
    const p = json<{ id: string; publicTitle: string }>(await call('POST', '/api/problems', 'alice', { title: '导出 4K 失败' }), 201);
    expect(p.publicTitle).toBe('');
    const id = await waiting('kefu-b', 'c6');
    json(await call('POST', `/api/conversations/${id}/problem`, 'alice', { problemId: p.id }));
    json(await call('POST', `/api/problems/${p.id}/fixed`, 'mia', { note: '已修复' }));
    expect((await outbound('kefu-b', 'fixed')).map((f) => f.title)).toEqual(['导出 4K 失败']);
    expect((await call('POST', '/api/problems', 'alice', { title: 'x', publicTitle: '太长'.repeat(21) })).statusCode).toBe(400);
    expect((await call('POST', '/api/problems', 'alice', { title: 'x', publicTitle: '一行\n两行' })).statusCode).toBe(400);
  });
});
