/**
 * What the 微信客服 end-to-end test and bench:channels share: the simulator's account, the bot's
 * environment for it, a watch on what WeChat accepted (kf/send_msg answers), an HTTP relay to put
 * between WeChat and the bot (a balancer, a slow network, an answer that never comes back), and a
 * bot instance assembled from its parts, for the test hooks the composition root does not pass
 * (`afterFetch`) and for crashing it. Free of vitest (the benchmark runs under tsx).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { loadMessages } from '../../src/bot/messages.ts';
import { runtimeConfig } from '../../src/bot/main.ts';
import { BotRuntime } from '../../src/bot/runtime.ts';
import { createWecomKf, type WecomKfDeps, type WecomKfModule } from '../../src/channels/wecom-kf/index.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createRedis, Handoff } from '../../src/handoff/index.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import type { Kefu } from '../../src/main.ts';
import { createWeChatSimulator, WECOM_ERR, type WeChatSimOptions, type WeChatSimulator } from '../../src/wechat-sim/index.ts';

export const CORP = 'wwe2ecorp0001';
export const KFID = 'wkE2eAccount01';
export const BOT_ID = `kf-${KFID}`;
const SECRET = 'e2e-kf-secret-0001';
const TOKEN = 'e2eCallbackToken';
const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
export const CALLBACK = '/wecom/kf/callback';

/** WeChat with one 微信客服 account, before `listen`. */
export function kfSimulator(options: Omit<WeChatSimOptions, 'wecom'> = {}): WeChatSimulator {
  return createWeChatSimulator({ wecom: { corpId: CORP, secret: SECRET, token: TOKEN, aesKey: AES_KEY, openKfids: [KFID] }, ...options });
}

/** The environment of a bot on that account (callbacks only: no safety polls unless `WECOM_POLL_S` says so). */
export function kfEnv(apiBase: string): Record<string, string> {
  return {
    CHANNELS: 'wecom-kf',
    WECOM_CORP_ID: CORP,
    WECOM_KF_SECRET: SECRET,
    WECOM_TOKEN: TOKEN,
    WECOM_AES_KEY: AES_KEY,
    WECOM_OPEN_KFIDS: KFID,
    WECOM_API_BASE: apiBase,
    WECOM_POLL_S: '0',
    PORT: '0',
    LOG_LEVEL: 'silent',
  };
}

const journals: string[] = [];

/**
 * The configuration of a bot on the account (`env`: REDIS_URL, REDIS_PREFIX, KB_DIR, …), each bot
 * process with a journal directory of its own, as on its own machine (`removeJournals` deletes them).
 */
export async function kfConfig(apiBase: string, env: Record<string, string>): Promise<Config> {
  const journal = await mkdtemp(path.join(os.tmpdir(), 'kefu-kf-e2e-'));
  journals.push(journal);
  return loadConfig({ ...kfEnv(apiBase), BOT_JOURNAL_DIR: journal, ...env });
}

export async function removeJournals(): Promise<void> {
  await Promise.all(journals.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** The texts a customer received, oldest first. */
export const texts = (sim: WeChatSimulator, who: string): string[] => sim.received(who).map((m) => m.text ?? '');

/**
 * Customer messages a bot process's turn took in (its kefu_messages_in_total): a message handed on
 * twice — by two processes, or after a crash — counts twice here even where the transcript's msgid
 * dedupe and WeChat's msgid dedupe keep the customer from noticing.
 */
export async function takenIn(k: Kefu): Promise<number> {
  const metric = k.metrics.registry.getSingleMetric('kefu_messages_in_total');
  if (!metric) throw new Error('no kefu_messages_in_total metric');
  const { values } = await metric.get();
  return values.reduce((n, v) => n + v.value, 0);
}

/**
 * What WeChat answered to kf/send_msg, per customer, as it answers (a hook on the simulator's own
 * server, added before it listens): accepted messages, and sends refused as a repeat of a msgid
 * already sent — a retry of something the customer already has. Lets a test or a benchmark wait
 * for an answer without polling each customer's inbox.
 */
export class SendWatch {
  /** Messages accepted per external_userid, with WeChat's time of each (ms, performance.now()). */
  readonly accepted = new Map<string, number[]>();
  /** Sends refused as duplicate msgids, per external_userid. */
  readonly duplicates = new Map<string, number>();
  total = 0;
  duplicateTotal = 0;
  private readonly waiters = new Map<string, { n: number; resolve: () => void }[]>();

  constructor(sim: WeChatSimulator) {
    sim.app.addHook('onSend', async (req, _reply, payload) => {
      if (req.method !== 'POST' || !req.url.startsWith('/cgi-bin/kf/send_msg?') || typeof payload !== 'string') return payload;
      const errcode = (JSON.parse(payload) as { errcode: number }).errcode;
      const to = (JSON.parse(String(req.body)) as { touser: string }).touser;
      if (errcode === 0) this.accept(to);
      else if (errcode === WECOM_ERR.DUPLICATE_MSGID) {
        this.duplicates.set(to, (this.duplicates.get(to) ?? 0) + 1);
        this.duplicateTotal++;
      }
      return payload;
    });
  }

  count(to: string): number {
    return this.accepted.get(to)?.length ?? 0;
  }

  /** Resolves once `to` has been sent `n` messages in all. */
  reach(to: string, n: number): Promise<void> {
    if (this.count(to) >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(to) ?? [];
      list.push({ n, resolve });
      this.waiters.set(to, list);
    });
  }

  private accept(to: string): void {
    const times = this.accepted.get(to) ?? [];
    times.push(performance.now());
    this.accepted.set(to, times);
    this.total++;
    const waiting = this.waiters.get(to);
    if (!waiting) return;
    const left = waiting.filter((w) => (w.n <= times.length ? (w.resolve(), false) : true));
    if (left.length > 0) this.waiters.set(to, left);
    else this.waiters.delete(to);
  }
}

export interface RelayedRequest {
  method: string;
  /** The path with its query. */
  url: string;
  body: string;
}

export interface Relay {
  url: string;
  /** Requests forwarded to each target, in the order of `targets`. */
  readonly forwarded: number[];
  close(): Promise<void>;
}

/**
 * An HTTP relay: each request goes on to the next target in turn (round robin); once the target
 * answered, `beforeAnswer` may hold the answer back (a slow network) — for good, if it never
 * resolves: closing the relay then cuts the connection without an answer, as a crash would.
 */
export async function relay(targets: string[], o: { beforeAnswer?(r: RelayedRequest): Promise<void> | void } = {}): Promise<Relay> {
  const forwarded = targets.map(() => 0);
  let next = 0;
  let closing = false;
  const closed = gate();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const i = next++ % targets.length;
        forwarded[i]!++;
        const r: RelayedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', body: Buffer.concat(chunks).toString('utf8') };
        const answer = await fetch(`${targets[i]}${r.url}`, {
          method: r.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' },
          body: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body,
        });
        const text = await answer.text();
        const held = o.beforeAnswer?.(r);
        if (held) await Promise.race([held, closed.promise]);
        if (closing) return void req.socket.destroy();
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
        res.end(text);
      })().catch(() => {
        if (!res.headersSent) res.writeHead(502).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    async close() {
      closing = true;
      closed.open();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A promise and the function that settles it (a gate a test opens). */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

export interface KfBot {
  url: string;
  module: WecomKfModule;
  runtime: BotRuntime;
  handoff: Handoff;
  redis: Redis;
  /** Dies: no more HTTP, and its Redis connections cut (a lock it holds stays until it expires). */
  crash(): Promise<void>;
  /** What is left of it after a crash (its loops end; nothing reaches Redis any more). */
  stop(): Promise<void>;
}

/**
 * The bot role for one 微信客服 account, built from its parts as src/bot/main.ts builds it, with
 * the channel's test hooks (`afterFetch`, `lockTtlMs`) and connections of its own that `crash` cuts.
 */
export async function startKfBot(config: Config, deps: Pick<WecomKfDeps, 'afterFetch' | 'lockTtlMs'> = {}): Promise<KfBot> {
  const redis = createRedis(config.redis) as Redis;
  const outboundRedis = createRedis(config.redis) as Redis;
  const handoff = new Handoff(redis, { prefix: config.redis.prefix, policy: config.sla });
  let knowledge: KnowledgeService | undefined;
  let app: FastifyInstance | undefined;
  try {
    knowledge = await createKnowledgeService({ dir: config.knowledge.dir, thresholds: config.knowledge.thresholds, watch: false });
    const messages = await loadMessages(config.knowledge.dir);
    const module = createWecomKf(config.channels.wecomKf!, { redis, keys: handoff.keys, ...deps });
    const adapter = module.adapters[0]!;
    const runtime = new BotRuntime(adapter, {
      ...runtimeConfig(config, adapter.botId, { handoff, redis, knowledge, messages }),
      outboundRedis,
      outbound: { retryMs: 100, blockMs: 300 },
    });
    await runtime.start();
    await module.start();
    app = Fastify({ logger: false });
    await app.register(module.routes!);
    const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('[::1]', '127.0.0.1');
    const kb = knowledge;
    const server = app;
    let crashed = false;
    let stopping: Promise<void> | undefined;
    return {
      url,
      module,
      runtime,
      handoff,
      redis,
      async crash() {
        crashed = true;
        server.server.closeAllConnections();
        await server.close();
        redis.disconnect();
        outboundRedis.disconnect();
      },
      stop() {
        return (stopping ??= (async () => {
          if (!crashed) await server.close();
          await runtime.stop();
          await module.close();
          await kb.close();
          redis.disconnect();
          outboundRedis.disconnect();
        })());
      },
    };
  } catch (err) {
    await app?.close();
    await knowledge?.close();
    redis.disconnect();
    outboundRedis.disconnect();
    throw err;
  }
}

/** `p`, or an error naming `what` (evaluated then: progress so far) after `ms`. */
export async function within<T>(ms: number, what: () => string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what()}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
