/**
 * A 微信客服 "bot process" for tests: the channel module on its own Redis client and its own HTTP
 * server (the callback routes), with a sink that records what the turn would get. Several of them
 * on one Redis and one simulator play several bot processes on one KF account.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { CustomerHandle, InboundMessage, TurnSink } from '../../../src/channels/types.ts';
import { createWecomKf, type WecomKfDeps, type WecomKfModule } from '../../../src/channels/wecom-kf/index.ts';
import type { WecomKfSettings } from '../../../src/channels/wecom-kf/settings.ts';
import { createKeys, type Keys } from '../../../src/handoff/keys.ts';
import { createWeChatSimulator, type WeChatSimOptions, type WeChatSimulator } from '../../../src/wechat-sim/index.ts';
import type { RedisServer } from '../../support/redis.ts';

export const CORP = 'wwsimcorp0001';
export const KFID = 'wkSimAccount01';
export const SECRET = 'sim-kf-secret-0001';
export const TOKEN = 'simCallbackToken';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

export function settings(over: Partial<WecomKfSettings> = {}): WecomKfSettings {
  return { corpId: CORP, secret: SECRET, token: TOKEN, aesKey: AES_KEY, openKfids: [KFID], apiBase: 'http://127.0.0.1:1', pollS: 0, ...over };
}

export function startSim(options: Omit<WeChatSimOptions, 'wecom'> = {}): WeChatSimulator {
  return createWeChatSimulator({
    wecom: { corpId: CORP, secret: SECRET, token: TOKEN, aesKey: AES_KEY, openKfids: [KFID] },
    // Tests pull without tokens freely; the rate limit has its own test.
    syncWithoutTokenPerMinute: 10_000,
    ...options,
  });
}

export interface RecordedLine {
  customer: string;
  from: 'system' | 'agent';
  kind?: string;
  text: string;
  msgId?: string;
}

/** What the turn would receive. */
export class RecordingSink implements TurnSink {
  readonly messages: InboundMessage[] = [];
  readonly lines: RecordedLine[] = [];
  /** Replies with this text to every customer message (through msg.reply), when set. */
  constructor(private readonly answer?: (m: InboundMessage) => string | undefined) {}

  async message(msg: InboundMessage): Promise<void> {
    this.messages.push(msg);
    const text = this.answer?.(msg);
    if (text) void msg.reply(text, `${msg.id}:0`).catch(() => undefined);
  }
  before(): void {}
  /** Greets with `greeting` (when set) through the channel's one-shot reply. */
  greeting?: string;
  readonly welcomed: string[] = [];
  welcome(_customer: CustomerHandle, id: string, reply: (text: string, key: string) => Promise<void>): void {
    this.welcomed.push(id);
    if (this.greeting) void reply(this.greeting, `${id}:welcome`).catch(() => undefined);
  }
  forget(): void {}
  record(customer: CustomerHandle, line: Omit<RecordedLine, 'customer'>): void {
    this.lines.push({ customer: customer.key, ...line });
  }
  ids(): string[] {
    return this.messages.map((m) => m.id);
  }
}

export interface KfProcess {
  module: WecomKfModule;
  app: FastifyInstance;
  /** The process's base URL (its callback is `${url}/wecom/kf/callback`). */
  url: string;
  sink: RecordingSink;
  redis: Redis;
  keys: Keys;
  stop(): Promise<void>;
}

export interface ProcessOptions extends Partial<Omit<WecomKfDeps, 'redis' | 'keys'>> {
  settings?: Partial<WecomKfSettings>;
  sink?: RecordingSink;
  /** Extra setup on the app before the routes (hooks that slow answers down, …). */
  setup?(app: FastifyInstance): void;
}

/** Starts a module on a fresh Redis client and its own HTTP server; the sim's callbacks are not pointed at it. */
export async function startProcess(sim: WeChatSimulator, server: RedisServer, prefix: string, o: ProcessOptions = {}): Promise<KfProcess> {
  const redis = server.client();
  const keys = createKeys(prefix);
  const sink = o.sink ?? new RecordingSink();
  const { settings: over, sink: _sink, setup, ...deps } = o;
  const module = createWecomKf(settings({ apiBase: sim.url, ...over }), { redis, keys, now: sim.clock.now, lockTtlMs: 2_000, ...deps });
  const app = Fastify({ logger: false });
  setup?.(app);
  await module.routes?.(app);
  const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('[::1]', '127.0.0.1');
  for (const a of module.adapters) await a.start(sink);
  await module.start();
  return {
    module,
    app,
    url,
    sink,
    redis,
    keys,
    async stop() {
      for (const a of module.adapters) await a.stop();
      await module.close();
      await app.close();
    },
  };
}
