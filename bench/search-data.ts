/**
 * A month of Chinese customer-service chat for bench:search, written straight into the archive's
 * tables (multi-row inserts from arrays: unnest), with the same search terms the archiver writes
 * (src/archive/tokens.ts). Deterministic (a seeded generator): every run searches the same data.
 */
import type pg from 'pg';
import { searchTokens } from '../src/archive/tokens.ts';
import { seededRandom } from '../src/random.ts';

export const rng = seededRandom;

const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢'];
const GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红梅鑫宇浩然子轩欣怡梓涵一诺晨阳佳琪雨桐思远'];
const NICK = ['小猫咪爱吃鱼', '阳光男孩', '快乐每一天', '追风少年', '星空下的约定', '甜甜圈', '奶茶续命', '不想上班', '月亮不睡我不睡', '岁月静好', '淡定哥', '吃货一枚', '蓝色天空', '温柔的风', '向日葵', 'Lucky', 'Amy陈', 'Kevin_W', 'Coco', 'Jason'];
export const TAGS = ['退款', '物流', '账号', '发票', '会员', '故障', '投诉', '咨询', '优惠券', '售后'];
export const CHANNELS = ['wecom-kf', 'wecom-kf', 'wecom-kf', 'wecom-kf', 'wecom-kf', 'wecom-kf', 'wecom-kf', 'oa', 'oa', 'wechaty'];
const PRODUCTS = ['蓝牙耳机', '智能手表', '扫地机器人', '电动牙刷', '空气净化器', '录屏软件', '会员年卡', '移动电源', 'iPhone15手机壳', 'Switch游戏卡'];

const CUSTOMER = [
  '你好，我想申请退款，订单号{order}', '我的{product}收到了但是用不了', '快递怎么还没到啊，都三天了', '发票怎么开？我需要增值税专用发票',
  '会员到期了能不能续费打折', '{product}充不进去电', '登录不上去，一直提示密码错误', '我要投诉，客服态度太差了', '优惠券为什么用不了',
  '能帮我改一下收货地址吗', '退货运费谁出', '我的账号被封了怎么办', '录屏没有声音怎么办', '{product}蓝牙连不上手机', '价格保护怎么申请',
  '支付宝付款失败了', '微信支付扣款了但是订单显示未支付', '换货要多久', '你们几点下班', '转人工', '人工客服', '好的谢谢', '还是不行',
  '订单{order}显示已签收但我没收到', '可以开电子发票吗', '积分怎么兑换', '{product}屏幕碎了能保修吗', '退款什么时候到账', '怎么注销账号',
];
const BOT = [
  '您好，退款申请提交后1-3个工作日内原路退回。', '请在“我的订单”中找到该订单，点击“申请售后”。', '物流信息可在订单详情页查看，如有延误请耐心等待。',
  '电子发票将在订单完成后发送到您的邮箱。', '会员续费可在“我的-会员中心”操作，年卡享8折。', '请尝试重启设备后重新连接蓝牙。',
  '您可以点击“忘记密码”重置登录密码。', '非常抱歉给您带来不便，正在为您转接人工客服。', '优惠券需满足使用门槛，请查看券面说明。',
  '您是想问：1. 如何退款 2. 退款进度 3. 退货地址？回复数字即可。', '已为您记录，客服将尽快处理。', '录屏没有声音时，请在设置中打开“录制系统声音”。',
];
const AGENT = [
  '您好，我是客服{agent}，很高兴为您服务。', '已经帮您提交退款了，请留意到账通知。', '您的订单{order}已加急处理。', '麻烦提供一下订单截图。',
  '地址已经帮您修改好了。', '这边已为您申请补发，预计两天内送达。', '发票已开具，请查收邮箱。', '账号已解封，请重新登录试试。',
  '{product}可以享受一年保修，请寄回检测。', '还有其他可以帮您的吗？', '给您补偿了一张10元优惠券。',
];

export interface Dataset {
  conversations: number;
  messages: number;
  /** Ids and names actually generated, to search for. */
  sampleOrders: string[];
  sampleNames: string[];
  sampleIds: string[];
  startMs: number;
  endMs: number;
}

const fill = (t: string, r: () => number, order: () => string): string =>
  t.replace('{order}', order).replace('{product}', () => PRODUCTS[Math.floor(r() * PRODUCTS.length)]!).replace('{agent}', () => `小${GIVEN[Math.floor(r() * GIVEN.length)]!}`);

const INSERT_CONVS = `INSERT INTO conversations (id, bot_id, customer_id, customer_name, tier, channel, status, assignee_id, assignee_name, tags,
  created_at, updated_at, data, search)
SELECT id, bot_id, customer_id, customer_name, 'standard', channel, status, NULLIF(assignee_id, ''), NULLIF(assignee_id, ''),
  COALESCE(string_to_array(NULLIF(tags, ''), ','), '{}'), to_timestamp(created_ms / 1000.0), to_timestamp(updated_ms / 1000.0), '{}'::jsonb, to_tsvector('simple', tokens)
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[])
  AS r(id, bot_id, customer_id, customer_name, channel, status, assignee_id, tags, created_ms, updated_ms, tokens)`;

/** With their conversation's facts (migrations/005), read once per conversation as the archiver does (src/archive/store.ts). */
const INSERT_MSGS = `WITH r AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::text[], $6::text[], $7::text[]) AS r(conversation_id, id, at_ms, sender, text, agent_id, tokens)
), f AS MATERIALIZED (SELECT * FROM kefu_conversation_facts(ARRAY(SELECT DISTINCT conversation_id FROM r)))
INSERT INTO messages (conversation_id, id, at, sender, text, agent_id, agent_name, search, facts)
SELECT conversation_id, r.id, to_timestamp(at_ms / 1000.0), sender, text, NULLIF(agent_id, ''), NULLIF(agent_id, ''), to_tsvector('simple', tokens),
  CASE WHEN sender <> 'system' THEN f.facts END
FROM r LEFT JOIN f ON f.id = r.conversation_id`;

const INSERT_RATINGS = `INSERT INTO ratings (bot_id, id, conversation_id, score, at)
SELECT bot_id, id, conversation_id, score, to_timestamp(at_ms / 1000.0)
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::float8[]) AS r(bot_id, id, conversation_id, score, at_ms)`;

/**
 * `total` messages in conversations of ~20 over `days` days ending at `endMs`, in batches of a few
 * thousand conversations. `progress` is told the messages written so far.
 */
export async function generate(pool: pg.Pool, opts: { total: number; days: number; endMs: number; progress?: (n: number) => void }): Promise<Dataset> {
  const r = rng(16);
  const tokenCache = new Map<string, string>();
  const tokens = (text: string): string => {
    let t = tokenCache.get(text);
    if (t === undefined) {
      t = searchTokens(text);
      if (tokenCache.size < 200_000) tokenCache.set(text, t);
    }
    return t;
  };
  const startMs = opts.endMs - opts.days * 86_400_000;
  const ds: Dataset = { conversations: 0, messages: 0, sampleOrders: [], sampleNames: [], sampleIds: [], startMs, endMs: opts.endMs };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  let orderSeq = 0;
  const order = (): string => `2024${String(10_000_000 + orderSeq++ * 7919 % 90_000_000).padStart(8, '0')}`;
  const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const randomId = (n: number): string => Array.from({ length: n }, () => ALNUM[Math.floor(r() * ALNUM.length)]).join('');

  while (ds.messages < opts.total) {
    const C: string[][] = Array.from({ length: 11 }, () => []);
    const Cn: number[][] = [[], []];
    const M: string[][] = Array.from({ length: 7 }, () => []);
    const Mn: number[] = [];
    const R: { bot: string[]; id: string[]; conv: string[]; score: number[]; at: number[] } = { bot: [], id: [], conv: [], score: [], at: [] };
    for (let k = 0; k < 2000 && ds.messages < opts.total; k++) {
      const botId = `bot${1 + Math.floor(r() * 3)}`;
      const customerId = r() < 0.6 ? `wxid_${randomId(12)}` : `wm${randomId(14)}`;
      const name = r() < 0.5 ? pick(SURNAMES) + pick(GIVEN) + (r() < 0.6 ? pick(GIVEN) : '') : `${pick(NICK)}${r() < 0.5 ? Math.floor(r() * 100) : ''}`;
      const id = `${botId}.${customerId}`;
      const created = startMs + Math.floor(r() * (opts.endMs - startMs - 3_600_000));
      const x = r();
      const status = x < 0.88 ? 'resolved' : x < 0.93 ? 'bot' : x < 0.95 ? 'waiting' : x < 0.99 ? 'active' : 'awaiting_fix';
      const agent = status === 'bot' || status === 'waiting' ? '' : `a${String(1 + Math.floor(r() * 40)).padStart(2, '0')}`;
      const tags = status === 'bot' ? [] : [pick(TAGS), ...(r() < 0.3 ? [pick(TAGS)] : [])];
      const n = Math.min(opts.total - ds.messages, 8 + Math.floor(r() * 25));
      let at = created;
      for (let i = 0; i < n; i++) {
        at += 5_000 + Math.floor(r() * 90_000);
        const s = r();
        const sender = i % 2 === 0 ? 'customer' : agent && i > 4 ? (s < 0.1 ? 'system' : 'agent') : 'bot';
        const text = sender === 'customer' ? fill(pick(CUSTOMER), r, order) : sender === 'bot' ? pick(BOT) : sender === 'agent' ? fill(pick(AGENT), r, order) : 'claimed';
        if (text.includes('2024') && r() < 0.01 && ds.sampleOrders.length < 200) ds.sampleOrders.push(/2024\d{8}/.exec(text)![0]);
        M[0]!.push(id);
        M[1]!.push(`${at}-${i}`);
        Mn.push(at);
        M[3]!.push(sender);
        M[4]!.push(text);
        M[5]!.push(sender === 'agent' ? agent : '');
        M[6]!.push(sender === 'system' ? '' : tokens(text));
      }
      ds.messages += n;
      ds.conversations++;
      if (ds.sampleNames.length < 200 && r() < 0.01) ds.sampleNames.push(name);
      if (ds.sampleIds.length < 200 && r() < 0.01) ds.sampleIds.push(customerId);
      const row = [id, botId, customerId, name, pick(CHANNELS), status, agent, tags.join(','), '', '', searchTokens(`${name} ${customerId}`)];
      row.forEach((v, i) => C[i]!.push(v));
      Cn[0]!.push(created);
      Cn[1]!.push(at);
      if (status === 'resolved' && agent && r() < 0.4) {
        const score = [1, 2, 3, 4, 4, 5, 5, 5, 5, 5][Math.floor(r() * 10)]!;
        R.bot.push(botId);
        R.id.push(`${at}-${ds.conversations}`);
        R.conv.push(id);
        R.score.push(score);
        R.at.push(at);
      }
    }
    await pool.query(INSERT_CONVS, [C[0], C[1], C[2], C[3], C[4], C[5], C[6], C[7], Cn[0], Cn[1], C[10]]);
    // Ratings before messages: the messages are written with them among their facts.
    if (R.id.length) await pool.query(INSERT_RATINGS, [R.bot, R.id, R.conv, R.score, R.at]);
    // Messages in slices: one statement's arrays stay a few MB.
    const SLICE = 10_000;
    for (let s = 0; s < Mn.length; s += SLICE) {
      const sl = <T>(xs: T[]): T[] => xs.slice(s, s + SLICE);
      await pool.query(INSERT_MSGS, [sl(M[0]!), sl(M[1]!), sl(Mn), sl(M[3]!), sl(M[4]!), sl(M[5]!), sl(M[6]!)]);
    }
    opts.progress?.(ds.messages);
  }
  return ds;
}
