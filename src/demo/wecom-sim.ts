/**
 * `DEMO_CHANNEL=wecom-kf`: the demo plays 微信客服. The WeChat API simulator (src/wechat-sim) runs
 * in the demo's process under credentials of the demo's own (fixed and fake), the real wecom-kf
 * channel talks to it as it would to qyapi.weixin.qq.com (callbacks, sync_msg, send_msg,
 * batchget), and the console's 微信模拟器 page plays its customers through `WecomDemoSimulator`.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { botIdOf } from '../channels/wecom-kf/ids.ts';
import type { DemoSimulator, SimulatedLine } from '../console/index.ts';
import type { Keys } from '../handoff/index.ts';
import { createWeChatSimulator, type WeChatSimulator } from '../wechat-sim/index.ts';

/** The demo's 微信客服 account: not real anywhere, and only ever sent to the local simulator. */
export const DEMO_WECOM = {
  corpId: 'wwkefudemo000000',
  secret: 'kefu-demo-not-a-real-secret',
  token: 'kefuDemoToken',
  aesKey: 'DemoOnlyFakeEncodingAESKeyNotForProduction0',
  openKfid: 'wkKefuDemo0001',
} as const;

/** The channel's settings pointing at the simulator at `apiBase` (they win over the caller's WECOM_*). */
export function demoWecomEnv(apiBase: string): Record<string, string> {
  return {
    CHANNELS: 'wecom-kf',
    WECOM_CORP_ID: DEMO_WECOM.corpId,
    WECOM_KF_SECRET: DEMO_WECOM.secret,
    WECOM_TOKEN: DEMO_WECOM.token,
    WECOM_AES_KEY: DEMO_WECOM.aesKey,
    WECOM_OPEN_KFIDS: DEMO_WECOM.openKfid,
    WECOM_API_BASE: apiBase,
    // A safety pull now and then (callbacks bring everything else); under the simulator's 10 untokened pulls a minute.
    WECOM_POLL_S: '10',
    // Empty counts as unset: a real deployment's settings in the shell must not leak into the demo.
    WECOM_AES_KEY_PREVIOUS: '',
    WECOM_TRANSFER_TO_SERVICER: '',
  };
}

/** Starts the simulator on a free local port; callbacks go nowhere until `setCallbackUrl`. */
export async function startDemoWeChat(): Promise<WeChatSimulator> {
  const { openKfid, ...account } = DEMO_WECOM;
  const sim = createWeChatSimulator({ wecom: { ...account, openKfids: [openKfid] } });
  await sim.listen({ port: 0, host: '127.0.0.1' });
  return sim;
}

/**
 * The simulator starts empty every run, while the demo's Redis keeps the channel's sync_msg
 * cursor from the last one: a cursor this simulator never issued would stop every pull.
 */
export async function forgetOldCursor(redis: Redis | Cluster, keys: Keys): Promise<void> {
  const botId = botIdOf(DEMO_WECOM.openKfid);
  await redis.del(keys.kfCursor(botId));
  await redis.del(keys.kfPending(botId));
}

/** A stable external_userid for a demo customer's name ("wm" and 30 of [A-Za-z0-9_-], like WeChat's). */
export function externalUserIdOf(name: string): string {
  return `wm${createHash('sha256').update(name, 'utf8').digest('base64url').slice(0, 30)}`;
}

export class SimulatorFullError extends Error {
  readonly code = 'SIMULATOR_FULL';
}

export interface WecomDemoSimulatorOptions {
  /** At most this many customers (the demo keeps everything in memory). Default 500. */
  maxCustomers?: number;
  /** Lines kept per chat (the oldest go first). Default 500. */
  maxLines?: number;
  /** How long a new customer's first message waits for the welcome (opening the chat comes first). Default 5 s. */
  welcomeWaitMs?: number;
}

interface Chat {
  ext: string;
  lines: SimulatedLine[];
  /** How many of the simulator's deliveries to this customer are in `lines` already. */
  seen: number;
  /** Settles once the chat is open and the welcome arrived (or did not in time). */
  opened: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class WecomDemoSimulator implements DemoSimulator {
  private readonly chats = new Map<string, Chat>();
  private readonly maxCustomers: number;
  private readonly maxLines: number;
  private readonly welcomeWaitMs: number;

  constructor(
    private readonly sim: WeChatSimulator,
    private readonly openKfid: string = DEMO_WECOM.openKfid,
    opts: WecomDemoSimulatorOptions = {},
  ) {
    this.maxCustomers = opts.maxCustomers ?? 500;
    this.maxLines = opts.maxLines ?? 500;
    this.welcomeWaitMs = opts.welcomeWaitMs ?? 5_000;
  }

  async say(customer: string, text: string): Promise<void> {
    const chat = this.chatOf(customer);
    await chat.opened;
    // What arrived so far goes before this line: the chat reads in the order the customer saw it.
    this.catchUp(chat);
    this.push(chat, { from: 'customer', text, at: this.nowIso() });
    this.sim.customerSays(this.openKfid, chat.ext, text, { nickname: customer });
  }

  chat(customer: string): SimulatedLine[] {
    const chat = this.chats.get(customer);
    if (!chat) return [];
    this.catchUp(chat);
    return [...chat.lines];
  }

  customers(): string[] {
    return [...this.chats.keys()];
  }

  /** A new customer opens the chat first, as on a phone: enter_session, and the bot's welcome. */
  private chatOf(name: string): Chat {
    const known = this.chats.get(name);
    if (known) return known;
    if (this.chats.size >= this.maxCustomers) throw new SimulatorFullError(`the simulator holds at most ${this.maxCustomers} customers`);
    const ext = externalUserIdOf(name);
    const chat: Chat = { ext, lines: [], seen: 0, opened: Promise.resolve() };
    this.chats.set(name, chat);
    this.sim.enterSession(this.openKfid, ext, { nickname: name });
    chat.opened = this.welcomed(ext);
    return chat;
  }

  private async welcomed(ext: string): Promise<void> {
    const deadline = Date.now() + this.welcomeWaitMs;
    // No welcome in time (e.g. a person already has this chat from an earlier run): the customer types anyway.
    while (this.sim.received(ext).length === 0 && Date.now() < deadline) await sleep(20);
  }

  private catchUp(chat: Chat): void {
    const all = this.sim.received(chat.ext);
    for (const m of all.slice(chat.seen)) {
      this.push(chat, { from: 'bot', text: m.text ?? `[${m.msgtype}]`, at: new Date(m.at).toISOString() });
    }
    chat.seen = all.length;
  }

  private push(chat: Chat, line: SimulatedLine): void {
    chat.lines.push(line);
    if (chat.lines.length > this.maxLines) chat.lines.splice(0, chat.lines.length - this.maxLines);
  }

  private nowIso(): string {
    return new Date(this.sim.clock.now()).toISOString();
  }
}
