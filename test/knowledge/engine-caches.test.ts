/**
 * The matcher keeps per-word and per-entry work across questions (sub-words, pinyin, which
 * phrasings hold a word) and finds contrast words and lexicon phrases through indexes. None of it
 * may change an answer: a question ranks the same whatever was asked before, the indexes find what
 * a plain scan finds, and a word taught to the segmenter is seen at once.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, pinyinNeedle, pinyinText } from '../../src/knowledge/engine/compile.ts';
import { buildContrasts, parseContrasts } from '../../src/knowledge/engine/contrast.ts';
import { addWords, subwordsOf } from '../../src/knowledge/engine/segmenter.ts';
import { pinyinOf } from '../../src/knowledge/engine/text.ts';
import { loadKnowledgeBase, Matcher, type KnowledgeBase } from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';

afterAll(removeTrees);

const KB_DIR = path.resolve(import.meta.dirname, '../../knowledge-base');

const shopFaq = {
  'refund.md': entry('question: 怎么申请退款\nalternates: [退款多久到账]\nkeywords: [退款]', '在订单页点申请退款。'),
  'invoice.md': entry('question: 怎么开发票\nkeywords: [发票]', '在订单页点开发票。'),
  'logout.md': entry('question: 怎么退出登录', '在设置页点退出登录。'),
  'login.md': entry('question: 登录不上怎么办', '检查网络后重新登录。'),
};
let shopKb: KnowledgeBase | undefined;
const shop = async (): Promise<KnowledgeBase> => (shopKb ??= await loadKnowledgeBase(await makeTree(shopFaq)));

/** Questions that take every path: homophones, sub-words, merged runs, English typos, pinyin, negation, a long story. */
const PROBES = [
  '录屏没有声音怎么办',
  '录屏没有生音怎么办',
  '请问一下，怎么开通会员呢？',
  '不是要退款，是想换个颜色',
  'watermrk 怎么去掉',
  'luping meiyou shengyin',
  '昨天买了年度会员，用了两天觉得不好用，钱能退吗',
  '导出的视频太大了',
  '怎么开发票啊',
];

describe('what the matcher keeps across questions', () => {
  it('ranks a question the same before and after hundreds of others, and the same as a fresh matcher', async () => {
    const kb = await loadKnowledgeBase(KB_DIR);
    const m = new Matcher(kb);
    const before = PROBES.map((q) => m.rank(q));
    const others = kb.entries.flatMap((e) => [e.question, ...e.alternates]);
    for (const opener of ['', '请问', '麻烦问下，', 'hello，']) for (const q of others) m.match(`${opener}${q}呀`);
    expect(PROBES.map((q) => m.rank(q))).toEqual(before);
    expect(PROBES.map((q) => new Matcher(kb).rank(q))).toEqual(before);
    // Not vacuous: the probes reach entries, with evidence.
    expect(before.every((r) => r.length > 0)).toBe(true);
    expect(before.some((r) => r[0]!.score > 0.5)).toBe(true);
  });

  it('finds a homophone inside one run of an entry, never across two runs', async () => {
    const c = compile(await shop());
    const refund = c.docs.find((d) => d.entry.question === '怎么申请退款')!;
    const has = (han: string): boolean => pinyinText(refund).includes(pinyinNeedle(pinyinOf(han)));
    expect(has('推宽')).toBe(true); // tui kuan, as in 退款
    expect(has('申请')).toBe(true);
    // 款 ends the question's run and 退 starts the alternate's: "kuan tui" is in no run.
    expect(has('宽推')).toBe(false);
    expect(has('生音')).toBe(false);
  });

  it('finds an entry by a homophone typo of its word alone', async () => {
    const m = new Matcher(await shop());
    const [best] = m.rank('推宽');
    expect(m.entry(best!.id)?.question).toBe('怎么申请退款');
    // Only the sound links 推宽 to 退款: the homophone evidence, not a share of characters.
    expect(best!.input.coverage).toBeGreaterThan(0.5);
  });

  it('sees a word taught to the segmenter at once, not a sub-word list cut before', () => {
    const word = '镥镤镧钋';
    const first = subwordsOf(word);
    expect(first).not.toContain('镤镧');
    addWords(['镤镧']);
    expect(subwordsOf(word)).toContain('镤镧');
  });
});

describe('the contrast index', () => {
  const contrasts = buildContrasts(parseContrasts(['退出登录 | 登录', '开通 | 取消', '登录密码 | 支付密码']));

  it('finds the longest word at a position, and each side once', () => {
    // 退出登录 holds 登录: only the log-out side counts there.
    expect(contrasts.sidesOf('怎么退出登录', [])).toEqual(new Map([[0, new Set([0])]]));
    expect(contrasts.sidesOf('登录不上', [])).toEqual(new Map([[0, new Set([1])]]));
    // 登录密码 holds 登录 too.
    expect(contrasts.sidesOf('登录密码忘了，取消自动续费', [])).toEqual(
      new Map([
        [2, new Set([0])],
        [1, new Set([1])],
      ]),
    );
  });

  it('finds words that share their first characters, at the end of the text too', () => {
    expect(contrasts.sidesOf('支付密码', [])).toEqual(new Map([[2, new Set([1])]]));
    expect(contrasts.sidesOf('要取消', [])).toEqual(new Map([[1, new Set([1])]]));
    expect(contrasts.sidesOf('取', [])).toEqual(new Map());
  });
});
