import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/knowledge/engine/compile.ts';
import { focusFactors, NEGATED, STORY } from '../../src/knowledge/engine/focus.ts';
import { buildGeneralWords, formatGeneralWords, GENERAL_WORDS_FILE, syllabify } from '../../src/knowledge/engine/pinyin-input.ts';
import { parseQuery, type Query } from '../../src/knowledge/engine/query.ts';
import { baseForms } from '../../src/knowledge/engine/rewrite.ts';
import { loadKnowledgeBase, Matcher, toSimplified, type KnowledgeBase } from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';

/** What customers type that is not the FAQ's script: pinyin, English, dialect, long stories, negation. */
afterAll(removeTrees);

const shopFaq = {
  'refund.md': entry('question: 怎么申请退款\nkeywords: [退款]', '在订单页点申请退款。'),
  'invoice.md': entry('question: 怎么开发票\nkeywords: [发票]', '在订单页点开发票。'),
  'password.md': entry('question: 忘记密码怎么办\nkeywords: [密码]', '在登录页点忘记密码。'),
  'exchange.md': entry('question: 怎么换颜色或尺码\nalternates: [能换货吗]', '在订单页申请换货。'),
  'vip.md': entry('question: vip 会员有什么好处\nkeywords: [vip]', 'vip 免运费。'),
  'export.md': entry('question: 能导出 mp3 吗\nkeywords: [mp3]', '导出时选 mp3。'),
};
let kbCache: KnowledgeBase | undefined;
const shop = async (): Promise<KnowledgeBase> => (kbCache ??= await loadKnowledgeBase(await makeTree(shopFaq)));
const parsed = async (q: string): Promise<Query> => {
  const c = compile(await shop());
  return parseQuery(q, c.lexicon, c.meaningful, (t) => c.rewriter.rewrite(t));
};
const weightOf = (q: Query, word: string): number => q.terms.find((t) => t.text === word)?.weight ?? NaN;

describe('pinyin typed without the input method', () => {
  it('cuts letters into syllables, fewest first, and refuses what is not pinyin', () => {
    expect(syllabify('tuikuan')).toEqual(['tui', 'kuan']);
    expect(syllabify('xian')).toEqual(['xian']);
    expect(syllabify('lue')).toEqual(['lve']);
    expect(syllabify('refund')).toBeUndefined();
    expect(syllabify('mp')).toBeUndefined();
  });

  it.each([
    ['tuikuan zenme tui', 'refund', '退款'],
    ['fapiao zenme kai', 'invoice', '发票'],
    ['wo de mima wangle', 'password', '密码'],
  ])('"%s" reads as Han text and is answered with %s', async (q, id, word) => {
    expect((await parsed(q)).text).toContain(word);
    expect((await new Matcher(await shop()).match(q)).id).toBe(id);
  });

  it('a lone syllable is the character the knowledge base writes, not the dictionary\'s likeliest', async () => {
    // 怎么查 / 删除: "cha" is 查 here (the dictionary alone says 茶), "shan le" 删了 (山了).
    const kb = await loadKnowledgeBase(
      await makeTree({
        'order.md': entry('question: 订单怎么查\nkeywords: [订单]', '在我的订单里查看。'),
        'delete.md': entry('question: 删除的地址能恢复吗\nkeywords: [地址]', '删除后不能恢复。'),
      }),
    );
    const c = compile(kb);
    const read = (q: string): string => parseQuery(q, c.lexicon, c.meaningful, (t) => c.rewriter.rewrite(t)).text;
    expect(read('dingdan zenme cha')).toContain('订单怎么查');
    expect(read('dizhi shan le neng huifu ma')).toContain('删了');
    // A common word still reads as itself.
    expect(read('zenme')).toContain('怎么');
  });

  it('the reading table shipped in the lexicon is the one jieba and pinyin-pro make now (scripts/pinyin-words.ts)', () => {
    const dict = readFileSync(createRequire(import.meta.url).resolve('@node-rs/jieba/dict.txt'), 'utf8');
    expect(readFileSync(GENERAL_WORDS_FILE, 'utf8')).toBe(formatGeneralWords(buildGeneralWords(dict)));
  });
});

describe('English', () => {
  it('a whole English question becomes the Chinese words it stands for; words that name nothing go', async () => {
    const q = await parsed('how do I get a refund');
    expect(q.text).toContain('退款');
    expect(q.terms.map((t) => t.text)).not.toContain('how');
    expect(new Matcher(await shop()).match('how do I get a refund')).toMatchObject({ decision: 'answer', id: 'refund' });
  });

  it('mixed with Chinese, and the knowledge base\'s own Latin words stay as written', async () => {
    expect((await parsed('invoice 怎么开')).text).toContain('发票');
    expect((await parsed('vip 有啥好处')).terms.map((t) => t.text)).toContain('vip');
    expect((await parsed('导出mp3')).terms.map((t) => t.text)).toContain('mp3');
  });

  it('an unknown English word is kept, so it still counts as something the FAQ does not explain', async () => {
    expect((await parsed('how to become a seller')).terms.map((t) => t.text)).toContain('become');
  });

  it('words that only carry grammar (many, really, into, up) go; "how many" and "see" are asked as 多少 and 查看', async () => {
    const words = (await parsed('how many refunds can I really see')).terms.map((t) => t.text);
    expect(words).not.toContain('many');
    expect(words).not.toContain('really');
    expect(words).toEqual(expect.arrayContaining(['多少', '退款', '查看']));
    expect((await parsed('split the bill into two')).terms.map((t) => t.text)).not.toContain('into');
  });

  it('inflected forms read as the word the table knows (refunds, invoiced, passwords)', async () => {
    expect((await parsed('refunding')).text).toContain('退款');
    expect((await parsed('invoices')).text).toContain('发票');
    expect(baseForms('batteries')).toContain('battery');
    expect(baseForms('stopped')).toContain('stop');
    expect(baseForms('charged')).toContain('charge');
  });

  it('English the table lacks is looked up in the dictionary, offering only the words this FAQ uses', async () => {
    const travel = await loadKnowledgeBase(
      await makeTree({
        'abroad.md': entry('question: 在国外能用吗\nkeywords: [国外]', '可以，开通国际漫游即可。'),
        'wheel.md': entry('question: 车轮坏了怎么办', '请联系维修。'),
      }),
    );
    const c = compile(travel);
    // "abroad" is not in en-zh.txt; CC-CEDICT glosses 国外 (used here) and 域外 (not used, nor a synonym of a used word) with it.
    const rewritten = c.rewriter.rewrite('can i use it abroad');
    expect(rewritten).toContain('国外');
    expect(rewritten).not.toContain('域外');
    expect(new Matcher(travel).match('can i use it abroad').id).toBe('abroad');
    expect(new Matcher(travel).match('my wheel is broken').id).toBe('wheel');
    // The shop FAQ never speaks of being abroad: the word stays as typed, unexplained.
    expect((await parsed('can i use it abroad')).terms.map((t) => t.text)).toContain('abroad');
  });
});

  it("a word of several senses is read in the one this FAQ speaks of; in none, all of them", async () => {
    const faq = async (files: Record<string, string>) => compile(await loadKnowledgeBase(await makeTree(files))).rewriter;
    const hotel = await faq({ 'checkin.md': entry('question: 几点可以入住', '下午两点起可以入住。') });
    const airline = await faq({ 'checkin.md': entry('question: 几点开始值机', '起飞前两小时开始值机。') });
    expect(hotel.rewrite('what time is check in').trim().split(' ')).toContain('入住');
    expect(hotel.rewrite('what time is check in')).not.toContain('值机');
    expect(airline.rewrite('what time is check in')).not.toContain('入住');
    const neither = (await parsed('can i check in')).terms.map((t) => t.text);
    expect(neither).toEqual(expect.arrayContaining(['值机', '入住']));
  });

describe('dialect and chat spellings', () => {
  it('木有 / 啥时候 read as 没有 / 什么时候', async () => {
    expect((await parsed('退款木有到')).text).toContain('没有');
    expect((await parsed('啥时候能退款')).text).toContain('什么时候');
  });
});

describe('traditional characters', () => {
  it('are read as simplified (錄影沒有聲音 → 录影没有声音), by phrase; simplified and ASCII come back as they were', () => {
    expect(toSimplified('發票怎麼開？')).toBe('发票怎么开？');
    expect(toSimplified('乾淨')).toBe('干净');
    expect(toSimplified('录屏没有声音怎么办')).toBe('录屏没有声音怎么办');
    expect(toSimplified('how do I get a refund')).toBe('how do I get a refund');
  });

  it('a question in traditional characters is answered as its simplified twin', async () => {
    const m = new Matcher(await shop());
    for (const [trad, id] of [['發票怎麼開', 'invoice'], ['忘記密碼怎麼辦', 'password'], ['怎麼申請退款', 'refund']] as const) {
      expect(m.match(trad), trad).toMatchObject({ decision: 'answer', id });
    }
  });
});

describe('where the question is in a message', () => {
  it('negation: the topic the customer says they do not mean counts for little', async () => {
    const text = '不是要退款，是想换个颜色';
    const f = focusFactors(text);
    expect(f[text.indexOf('退款')]).toBeCloseTo(NEGATED);
    expect(f[text.indexOf('颜色')]).toBe(1);
    const q = await parsed(text);
    expect(weightOf(q, '退款')).toBeLessThan(weightOf(q, '颜色') / 3);
    expect(new Matcher(await shop()).rank(text)[0]?.id).toBe('exchange');
  });

  it.each([
    ['没有要换号 就是想电脑和手机一起登', '换号', '电脑'],
    ['不想退货，就是想问问能不能换个码', '退货', '换个码'],
    ['不办宽带了，直接把套餐退掉', '办宽带', '套餐'],
    ['不是要退款，就想问下运费谁出', '退款', '运费'],
    ['不是催发货 就是想看看到哪了', '催发货', '到哪了'],
  ])('negation: "%s" does not mean %s', (text, not, meant) => {
    const f = focusFactors(text);
    expect(f[text.indexOf(not)]).toBeCloseTo(NEGATED);
    expect(f[text.indexOf(meant)]).toBe(1);
  });

  it.each([
    ['录游戏的时候画面是黑的 只有声音', '声音', '画面'],
    ['录出来只有声音没有画面', '声音', '画面'],
    ['录全屏游戏录出来是黑屏 有声音没画面', '声音', '画面'],
    ['录出来有画面没声音', '画面', '声音'],
  ])('what works: in "%s" the %s is there, the %s is the problem', (text, there, problem) => {
    const f = focusFactors(text);
    expect(f[text.indexOf(there)]).toBeCloseTo(NEGATED);
    expect(f[text.indexOf(problem)]).toBe(1);
  });

  it('"只有X吗" asks about X, and X alone is the whole question', () => {
    for (const text of ['会员只有一年的吗', '只有声音', '录出来有没有声音']) expect(focusFactors(text).every((x) => x === 1)).toBe(true);
  });

  it('"是不是" is not a negation', () => {
    const text = '是不是要退款，是的话怎么弄';
    expect(focusFactors(text)[text.indexOf('退款')]).toBe(1);
  });

  it('a long story weighs less than the clause that asks', () => {
    const text = '我上周在你们这买了一件大衣，穿了一次发现有点起球，家里人说不好看，这个能开发票吗';
    const f = focusFactors(text);
    expect(f[text.indexOf('大衣')]).toBeCloseTo(STORY);
    expect(f[text.indexOf('发票')]).toBe(1);
  });

  it('a short message is one thought: nothing is weighed down', () => {
    const f = focusFactors('退款怎么申请，多久到账');
    expect([...f].every((x) => x === 1)).toBe(true);
  });
});

describe('weights of what a message says', () => {
  it("amounts and dates are the customer's particulars: a fifth of an ordinary word", async () => {
    const q = await parsed('满199减30的券用不了');
    expect(weightOf(q, '199')).toBeLessThan(0.25);
  });

  it('loose common characters merged into one run do not weigh as a rare word', async () => {
    const q = await parsed('钱付不出去');
    const run = q.terms.find((t) => t.parts !== undefined);
    expect(run).toBeDefined();
    expect(run!.weight).toBeLessThan(0.8);
  });

  it("a lexicon phrase lends its concept to the words inside it instead of swallowing them", async () => {
    const q = await parsed('会员有什么用');
    expect(q.terms.map((t) => t.text)).toContain('会员');
  });
});

describe('self-calibration material', () => {
  it('look-alikes swap the most specific word of each phrasing for a thing the FAQ never names', async () => {
    const m = new Matcher(await shop());
    const looks = m.lookalikes();
    expect(looks.length).toBeGreaterThan(3);
    const ids = Object.keys(shopFaq).map((f) => f.replace('.md', ''));
    for (const l of looks) expect(ids).toContain(l.resembles);
    const refund = looks.find((l) => l.resembles === 'refund')!;
    expect(refund.q).not.toContain('退款');
  });

  it('a knowledge base reports the operating point its own phrasings suggest', async () => {
    const kb = await loadKnowledgeBase(
      await makeTree(
        Object.fromEntries(
          ['退款', '发票', '密码', '地址', '物流', '优惠券', '积分', '会员', '订单', '评价', '客服', '换货'].map((w, i) => [
            `e${i}.md`,
            entry(`question: ${w}怎么处理\nalternates: [${w}的问题找谁, 我的${w}有问题, 关于${w}]\nkeywords: [${w}]`),
          ]),
        ),
      ),
    );
    const m = new Matcher(kb);
    const sc = m.selfCalibrate();
    expect(sc.expected.heldOut).toBeGreaterThanOrEqual(36);
    expect(sc.expected.lookalikes).toBeGreaterThan(10);
    expect(sc.thresholds.answer).toBeGreaterThanOrEqual(m.thresholds.answer - 0.15);
    expect(sc.thresholds.answer).toBeLessThanOrEqual(m.thresholds.answer + 0.15);
    expect(sc.expected.answeredRight + sc.expected.answeredWrong).toBeLessThanOrEqual(sc.expected.heldOut);
  });
});
