/**
 * bench:month's customers, bot and agents: one simulated day of conversations driven through the
 * real Handoff API (the calls the bot and the console make), each conversation on its own simulated
 * clock (AsyncLocalStorage: many run side by side, each reads its own `now`).
 *
 * - a customer asks questions from the product's FAQ (knowledge-base/) and the bot answers them as
 *   the engine does (answer / "did you mean" / could not answer: the match is computed once per
 *   question and reused), with WeChat's message ids;
 * - `botShare` of conversations end there (the bot helped; the chat stays with the bot);
 * - the rest ask for a person (转人工): an agent claims, replies, tags some, resolves; `rated` of
 *   those customers answer the rating question (the turn the bot records, then the rating);
 * - `returning` of a day's customers come back from an earlier day (their thread goes on, or starts
 *   again in Redis after the trim: history intact is the archive's job).
 *
 * Every transcript entry each call adds is counted per conversation (`expected`): the month's check
 * compares it with what Redis and PostgreSQL hold.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { parse } from 'yaml';
import type { Agent, Handoff, NewMessage, TurnOutcome } from '../src/handoff/index.ts';
import { renderAnswer, type KnowledgeService } from '../src/knowledge/index.ts';

const MINUTE = 60_000;

/** The simulated clock of the conversation running in this async context. */
const clock = new AsyncLocalStorage<{ t: number }>();

/** The handoff's `now`: the running conversation's clock, else the month's (`fallback`). */
export const simulatedNow =
  (fallback: { t: number }): (() => number) =>
  () =>
    clock.getStore()?.t ?? fallback.t;

export interface TrafficMix {
  /** Share of conversations the bot finishes alone (never handed to a person). */
  botShare: number;
  /** Share of resolved conversations whose customer answers the rating question. */
  rated: number;
  /** Share of a day's conversations from customers of an earlier day. */
  returning: number;
}

export interface Planned {
  botId: string;
  customerId: string;
  name: string;
  start: number;
  returning: boolean;
}

/** The bot's replies to one message (an answer's chunks and the feedback question), and what it made of it. */
type Bot = { texts: string[]; fields: Omit<NewMessage, 'from' | 'text'>; outcome: TurnOutcome };

const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁沈姚卢'];
const GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红梅鑫宇浩然子轩欣怡梓涵一诺晨阳佳琪雨桐思远'];
const TAGS = ['退款', '会员', '录屏', '导出', '账号', '发票', '故障', '投诉'];
const AGENT_TEXTS = [
  '您好，这边帮您查一下，请稍等。', '已经帮您提交退款了，1-3 个工作日原路退回，请留意到账通知。', '麻烦提供一下订单截图或者注册手机号。',
  '会员权益已经帮您恢复，重新登录一下就可以了。', '这个问题我们已经反馈给技术同事，修好后第一时间通知您。', '发票已开具，请查收邮箱。',
  '您试一下在设置里打开“录制系统声音”，再录一段看看。', '还有其他可以帮您的吗？',
];
const CUSTOMER_TO_AGENT = ['我昨天买的年卡，订单号 {order}，扣了两次钱', '还是不行，录出来没有声音', '好的，我试一下', '可以了，谢谢', '订单号是 {order}'];

/** A day's conversations through the handoff; counts what each call added. */
export class Traffic {
  /** Transcript entries written per conversation id, over the whole month. */
  readonly expected = new Map<string, number>();
  /** Conversation hashes created (the funnel's `conversations`), ratings recorded, entries written. */
  created = 0;
  ratings = 0;
  entries = 0;
  /** Order numbers written (each once), customer names: rare search terms. */
  readonly orders: string[] = [];
  readonly names: string[] = [];
  private readonly answers = new Map<string, Bot>();
  private readonly questions: string[];
  private readonly messages: Record<string, string>;
  private readonly pastCustomers: Planned[] = [];
  private orderSeq = 0;

  constructor(
    private readonly h: Handoff,
    private readonly redis: Redis,
    private readonly kb: KnowledgeService,
    kbDir: string,
    private readonly bots: string[],
    private readonly agents: Agent[],
    private readonly mix: TrafficMix,
    private readonly r: () => number,
  ) {
    this.messages = parse(readFileSync(path.join(kbDir, '_messages.yml'), 'utf8')) as Record<string, string>;
    // Customers ask the FAQ's questions and their paraphrases (alternates), as the engine knows them.
    this.questions = kb.matcher().kb.entries.flatMap((e) => [e.question, ...e.alternates.slice(0, 3)]);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }

  /** The day's conversations: new customers and some from earlier days, by start time (08:00-22:00). */
  plan(day: number, dayStart: number, perDay: number): Planned[] {
    const out: Planned[] = [];
    const back = new Set<string>();
    for (let i = 0; i < perDay; i++) {
      const start = dayStart + 8 * 60 * MINUTE + Math.floor(this.r() * 14 * 60 * MINUTE);
      const old = this.pastCustomers.length > 0 && this.r() < this.mix.returning ? this.pick(this.pastCustomers) : undefined;
      if (old && !back.has(`${old.botId}.${old.customerId}`)) {
        back.add(`${old.botId}.${old.customerId}`);
        out.push({ ...old, start, returning: true });
        continue;
      }
      const name = this.r() < 0.7 ? this.pick(SURNAMES) + this.pick(GIVEN) + (this.r() < 0.6 ? this.pick(GIVEN) : '') : `用户${Math.floor(this.r() * 1e6)}`;
      out.push({ botId: this.pick(this.bots), customerId: `wm${day.toString(36)}x${i.toString(36)}${Math.floor(this.r() * 1e6).toString(36)}`, name, start, returning: false });
    }
    for (const p of out) if (!p.returning) this.pastCustomers.push(p);
    return out.sort((a, b) => a.start - b.start);
  }

  /** Runs one planned conversation to its end on its own clock. */
  run(p: Planned): Promise<void> {
    return clock.run({ t: p.start }, () => this.conversation(p));
  }

  private count(conv: string, n: number): void {
    this.expected.set(conv, (this.expected.get(conv) ?? 0) + n);
    this.entries += n;
  }

  private wait(minMinutes: number, maxMinutes: number): void {
    clock.getStore()!.t += Math.floor((minMinutes + this.r() * (maxMinutes - minMinutes)) * MINUTE);
  }

  private order(): string {
    const o = `2025${String(10_000_000 + ((this.orderSeq++ * 7_919) % 89_999_999)).padStart(8, '0')}`;
    this.orders.push(o);
    return o;
  }

  /** The bot's answer to a question, as the engine decides it (once per distinct question). */
  private answer(question: string): Bot {
    let a = this.answers.get(question);
    if (a) return a;
    const m = this.kb.match(question);
    const matcher = this.kb.matcher();
    const entry = m.id ? matcher.entry(m.id) : undefined;
    if (m.decision === 'answer' && entry) {
      const chunks = renderAnswer(entry.answer).slice(0, 3);
      a = { texts: [...chunks, this.messages.feedback_question ?? ''], fields: { faqId: entry.id, confidence: Math.round(m.score * 100) / 100 }, outcome: { type: 'answer', faqId: entry.id } };
    } else if (m.decision === 'suggest' && m.candidates.length > 0) {
      const list = m.candidates.map((c, i) => `${i + 1}. ${matcher.entry(c.id)?.question ?? c.id}`);
      a = { texts: [[this.messages.suggest_header, ...list, this.messages.suggest_footer].join('\n')], fields: {}, outcome: { type: 'suggest' } };
    } else {
      a = { texts: [this.messages.low_confidence_offer ?? ''], fields: {}, outcome: { type: 'unanswered', question } };
    }
    this.answers.set(question, a);
    return a;
  }

  /** A customer message and the bot's reply (or a handoff), recorded as the bot records a turn. */
  private async turn(p: Planned, text: string, decide: { reply: Bot; decidedFor: 'bot' | 'resolved'; handoff?: boolean }): Promise<string> {
    const ref = { botId: p.botId, customerId: p.customerId, customerName: p.name };
    const res = await this.h.recordTurn(ref, { from: 'customer', text, msgId: randomUUID() }, {
      replies: decide.reply.texts.map((text) => ({ from: 'bot' as const, text, ...decide.reply.fields })),
      decidedFor: decide.decidedFor,
      outcome: decide.reply.outcome,
      ...(decide.handoff ? { handoff: { reason: 'customer_asked' as const, question: text } } : {}),
    });
    this.count(res.conversationId, 1 + (res.repliesRecorded ? decide.reply.texts.length : 0) + (res.ticket?.queued ? 1 : 0));
    return res.conversationId;
  }

  private async conversation(p: Planned): Promise<void> {
    const conv = `${p.botId}.${p.customerId}`;
    if (!p.returning || (await this.redis.exists(this.h.keys.conversation(conv))) === 0) this.created++;
    if (this.names.length < 500 && this.r() < 0.02) this.names.push(p.name);
    const asks = 1 + Math.floor(this.r() * 4);
    for (let i = 0; i < asks; i++) {
      const q = this.pick(this.questions);
      await this.turn(p, q, { reply: this.answer(q), decidedFor: 'bot' });
      this.wait(0.3, 2);
    }
    if (this.r() < this.mix.botShare) {
      if (this.r() < 0.4) await this.turn(p, '好的谢谢', { reply: { texts: [this.messages.closing ?? ''], fields: {}, outcome: { type: 'smalltalk' } }, decidedFor: 'bot' });
      return;
    }
    // 转人工: queued with the bot's notice, then an agent.
    await this.turn(p, '人工', { reply: { texts: ['已为您转接人工客服，请稍等~'], fields: {}, outcome: { type: 'rejected' } }, decidedFor: 'bot', handoff: true });
    this.wait(1, 20);
    const agent = this.pick(this.agents);
    await this.h.claim(conv, agent);
    this.count(conv, 1);
    const rounds = 1 + Math.floor(this.r() * 4);
    for (let i = 0; i < rounds; i++) {
      this.wait(0.5, 3);
      await this.h.reply(conv, agent, this.pick(AGENT_TEXTS));
      this.count(conv, 1);
      this.wait(0.5, 3);
      const text = this.pick(CUSTOMER_TO_AGENT).replace('{order}', () => this.order());
      await this.h.recordMessage({ botId: p.botId, customerId: p.customerId }, { from: 'customer', text, msgId: randomUUID() });
      this.count(conv, 1);
    }
    if (this.r() < 0.5) await this.h.setTags(conv, [this.pick(TAGS)], { by: agent.id });
    this.wait(0.5, 5);
    await this.h.resolve(conv, { by: agent.id, expectedOwner: agent.id });
    this.count(conv, 1);
    if (this.r() >= this.mix.rated) return;
    // The customer answers the rating question: the bot records the turn (thanks), then the rating.
    this.wait(0.5, 10);
    const score = [5, 5, 5, 5, 4, 4, 3, 2, 1][Math.floor(this.r() * 9)]!;
    const thanks = score <= 2 ? this.messages.rating_low_followup : score >= 4 ? this.messages.rating_thanks_high : this.messages.rating_thanks;
    await this.turn(p, String(score), { reply: { texts: [thanks ?? ''], fields: {}, outcome: { type: 'rating', score } }, decidedFor: 'resolved' });
    await this.h.recordRating({ botId: p.botId, customerId: p.customerId }, score);
    this.ratings++;
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
