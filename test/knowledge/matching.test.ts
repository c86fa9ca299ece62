import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, loadKnowledgeBase, Matcher, MAX_QUERY_CHARS, rate, readCases, type EvalReport, type KnowledgeBase } from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';

const repo = path.resolve(import.meta.dirname, '../..');
/**
 * An evaluation set kept outside the repository, beside the clone: the check that matching
 * generalises to a knowledge base nobody tuned the engine on. A lone clone has no such folder.
 */
const shared = path.resolve(repo, '../shared/eval/notes-app');
const hasShared = existsSync(path.join(shared, 'cases.jsonl'));

async function evalSet(kbDir: string, casesFile: string): Promise<EvalReport> {
  const matcher = new Matcher(await loadKnowledgeBase(kbDir));
  return evaluate(matcher, readCases(readFileSync(casesFile, 'utf8'), casesFile));
}

const rates = (r: EvalReport) => ({
  correct: rate(r.correct, r.inScope),
  wrong: rate(r.wrong, r.inScope),
  oosAnswered: rate(r.oosAnswered, r.outOfScope),
  helpful: rate(r.helpful, r.inScope),
});

describe('matching quality', () => {
  it.skipIf(!hasShared)(
    `on ../shared/eval/notes-app, a knowledge base the engine was not fitted on, meets the bar${hasShared ? '' : ' (skipped: no ../shared/eval/notes-app beside this clone)'}`,
    async () => {
      const r = rates(await evalSet(path.join(shared, 'kb'), path.join(shared, 'cases.jsonl')));
      expect(r.correct).toBeGreaterThanOrEqual(0.9);
      expect(r.wrong).toBeLessThanOrEqual(0.02);
      expect(r.oosAnswered).toBeLessThanOrEqual(0.03);
      expect(r.helpful).toBeGreaterThanOrEqual(0.97);
    },
  );

  it("on the product's own knowledge base and its hard, colloquial cases", async () => {
    const r = rates(await evalSet(path.join(repo, 'knowledge-base'), path.join(repo, 'test/cases/kb-cases.jsonl')));
    expect(r.correct).toBeGreaterThanOrEqual(0.7);
    expect(r.wrong).toBeLessThanOrEqual(0.02);
    expect(r.oosAnswered).toBeLessThanOrEqual(0.03);
    expect(r.helpful).toBeGreaterThanOrEqual(0.95);
  });

  // Other industries' FAQs and customers' questions, written before anyone looked at how the engine
  // fails (see docs/matching.md): the training domains are fitted on by `npm run calibrate`, the
  // held-out ones never. These bars guard against going back; the goals are higher.
  const setsIn = (dir: string): string[] => readdirSync(path.join(repo, dir)).filter((d) => existsSync(path.join(repo, dir, d, 'cases.jsonl')));
  it.each(setsIn('test/fixtures/domains'))('on the %s training domain it rarely answers wrongly and mostly helps', async (name) => {
    const dir = path.join(repo, 'test/fixtures/domains', name);
    const r = rates(await evalSet(path.join(dir, 'kb'), path.join(dir, 'cases.jsonl')));
    expect(r.wrong).toBeLessThanOrEqual(0.02);
    expect(r.helpful).toBeGreaterThanOrEqual(0.7);
    expect(r.correct).toBeGreaterThanOrEqual(0.35);
  });

  it.each(setsIn('test/fixtures/holdout'))('on the held-out %s set it rarely answers wrongly and mostly helps', async (name) => {
    const dir = path.join(repo, 'test/fixtures/holdout', name);
    const r = rates(await evalSet(path.join(dir, 'kb'), path.join(dir, 'cases.jsonl')));
    expect(r.wrong).toBeLessThanOrEqual(0.04);
    expect(r.helpful).toBeGreaterThanOrEqual(0.7);
  });

  it('reports each case type apart, and look-alikes answered with the entry they resemble', async () => {
    const kb = await loadKnowledgeBase(path.join(repo, 'test/fixtures/domains/shop/kb'));
    const matcher = new Matcher(kb);
    const refund = kb.entries.find((e) => /退款/.test(e.question))!;
    const r = evaluate(matcher, [
      { q: refund.question, expect: refund.id, type: 'close' },
      { q: '今天股市怎么样', expect: null, type: 'oos' },
      { q: refund.question, expect: null, type: 'lookalike', resembles: refund.id },
    ]);
    expect(r.byType.get('close')).toMatchObject({ cases: 1, inScope: 1, correct: 1 });
    expect(r.byType.get('oos')).toMatchObject({ cases: 1, outOfScope: 1, oosAnswered: 0 });
    expect(r.byType.get('lookalike')).toMatchObject({ lookalikes: 1, lookalikeAnswered: 1, oosAnswered: 1 });
    expect(r).toMatchObject({ cases: 3, lookalikes: 1, lookalikeAnswered: 1 });
  });

  it.each(['bike-share', 'e-reader'])('on the %s fixture it never answers wrongly and mostly helps', async (name) => {
    const dir = path.join(repo, 'test/fixtures/eval', name);
    const r = rates(await evalSet(path.join(dir, 'kb'), path.join(dir, 'cases.jsonl')));
    expect(r.wrong).toBeLessThanOrEqual(0.02);
    expect(r.helpful).toBeGreaterThanOrEqual(0.85);
    expect(r.correct).toBeGreaterThanOrEqual(0.5);
  });
});

describe('the product knowledge base', () => {
  let matcher: Matcher;
  beforeAll(async () => {
    matcher = new Matcher(await loadKnowledgeBase(path.join(repo, 'knowledge-base')));
  });

  it.each([
    ['录屏没有声音怎么办', 'no-sound'],
    ['VIP 多少钱一个月', 'membership-plans'],
    ['iPhone 上录的视频保存在哪里', 'find-recordings'],
    ['怎么导出 GIF', 'export-formats'],
    ['Mac 录屏黑屏', 'mac-permission'],
    ['录屏没生音', 'no-sound'], // homophone typo from a pinyin keyboard
    ['ＶＩＰ多少钱', 'membership-plans'], // full-width letters
  ])('answers %s with %s', (q, id) => {
    const r = matcher.match(q);
    expect(r).toMatchObject({ decision: 'answer', id });
    expect(r.candidates[0]?.id).toBe(id);
  });

  it.each(['今天天气怎么样', '帮我写首诗', '推荐一部电影', '股票明天会涨吗'])('does not answer the out-of-scope %s', (q) => {
    expect(matcher.match(q).decision).not.toBe('answer');
  });

  it.each(['在吗', '你好', '？', '啊啊啊', ''])('hands off a message with nothing to match: %j', (q) => {
    const r = matcher.match(q);
    expect(r.decision).toBe('handoff');
    expect(r.score).toBeLessThan(matcher.thresholds.suggest);
  });

  it('lists no candidate that shares nothing with the question, still naming the best entry at 0', () => {
    for (const q of ['在吗', '你好', '']) {
      const r = matcher.match(q);
      expect(r).toMatchObject({ decision: 'handoff', score: 0, candidates: [] });
      expect(r.id).toBeTypeOf('string');
    }
  });

  it('gives scores in 0..1 and at most three candidates, best first', () => {
    for (const q of ['会员', '视频', '怎么录屏', '录制', '水印和会员']) {
      const r = matcher.match(q);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
      expect(r.candidates.length).toBeLessThanOrEqual(3);
      expect(r.candidates[0]?.id).toBe(r.id);
      const scores = r.candidates.map((c) => c.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    }
  });

  it('matches an oversized message on its beginning and reads nothing past MAX_QUERY_CHARS', () => {
    // (How long such a message takes: npm run bench:kb.)
    const q = `录屏没有声音怎么办${'真的很着急'.repeat(4000)}`;
    expect(MAX_QUERY_CHARS).toBeLessThan(q.length);
    const r = matcher.match(q);
    expect(r.id).toBe('no-sound');
    // The evidence is exactly that of its first MAX_QUERY_CHARS characters, whatever follows them.
    const head = q.slice(0, MAX_QUERY_CHARS);
    expect(matcher.rank(q)).toEqual(matcher.rank(head));
    expect(matcher.rank(`${head}${'发票怎么开'.repeat(4000)}`)).toEqual(matcher.rank(head));
    expect(matcher.match(`${head}${'发票怎么开'.repeat(4000)}`)).toEqual(r);
  });

  it('takes thresholds from its options', () => {
    const kb = matcher.kb;
    const strict = new Matcher(kb, { thresholds: { answer: 0.999, suggest: 0.5 } });
    const loose = new Matcher(kb, { thresholds: { answer: 0.01, suggest: 0.005 } });
    expect(strict.match('录屏没有声音怎么办').decision).toBe('suggest');
    expect(loose.match('录屏软件').decision).toBe('answer');
    expect(strict.thresholds).toEqual({ answer: 0.999, suggest: 0.5 });
  });
});

describe('engine behaviour on small knowledge bases', () => {
  afterAll(removeTrees);

  const load = async (files: Record<string, string>): Promise<KnowledgeBase> => loadKnowledgeBase(await makeTree(files));

  it('returns handoff with a null id for an empty knowledge base', async () => {
    const m = new Matcher(await load({}));
    expect(m.match('怎么退款')).toEqual({ decision: 'handoff', id: null, score: 0, candidates: [] });
  });

  it("uses the knowledge base's own synonym groups", async () => {
    const files = {
      'coins.md': entry('question: 充值的金币没到账怎么办\nkeywords: [金币, 到账]'),
      'nick.md': entry('question: 怎么修改昵称\nkeywords: [昵称]'),
      'theme.md': entry('question: 怎么换主题皮肤\nkeywords: [主题]'),
    };
    const without = new Matcher(await load(files));
    const withSynonyms = new Matcher(await load({ ...files, '_synonyms.yml': '- [金币, 钻石, 点券]\n' }));
    expect(without.match('充的钻石没到').id === 'coins' && without.match('充的钻石没到').decision === 'answer').toBe(false);
    expect(withSynonyms.match('充的点券没到账')).toMatchObject({ decision: 'answer', id: 'coins' });
  });

  it('tolerates English typos against the shortlist', async () => {
    const m = new Matcher(
      await load({
        'wm.md': entry('question: 怎么去掉 watermark\nalternates: [remove watermark]\nkeywords: [watermark]'),
        'sub.md': entry('question: 怎么取消 subscription\nkeywords: [subscription]'),
      }),
    );
    expect(m.match('watermrk 怎么去掉')).toMatchObject({ id: 'wm' });
    expect(m.match('subscripton 取消')).toMatchObject({ id: 'sub' });
  });

  it("finds an entry by the pinyin of a homophone typo of its word, even sharing nothing else with it", async () => {
    const m = new Matcher(
      await load({
        'trip.md': entry('question: 怎么开行程单\nkeywords: [行程单]'),
        'seat.md': entry('question: 怎么在线选座\nkeywords: [选座]'),
        'bag.md': entry('question: 托运行李限额是多少\nkeywords: [托运]'),
      }),
    );
    const r = m.match('形成单');
    expect(r.id).toBe('trip');
    expect(r.decision).not.toBe('handoff');
  });

  it('reads an input-method slip as the one FAQ word that sounds the same, so it is answered like the word typed right', async () => {
    const m = new Matcher(
      await load({
        'cancel.md': entry('question: 信用卡怎么销卡\nkeywords: [销卡]'),
        'replace.md': entry('question: 卡片坏了怎么换卡\nkeywords: [换卡]'),
        'limit.md': entry('question: 怎么提高额度\nkeywords: [额度]'),
      }),
    );
    const typed = m.rank('信用卡怎么消卡');
    const right = m.rank('信用卡怎么销卡');
    expect(typed[0]!.id).toBe('cancel');
    // The slip counts in the phrasing as the word itself (only its weight, from how it was typed, differs).
    expect(typed[0]!.input.phrasing).toBeGreaterThan(0.9 * right[0]!.input.phrasing);
    expect(typed[0]!.input.keyword).toBe(1);
    expect(m.match('信用卡怎么消卡').decision).toBe('answer');
  });

  it('reads loose characters that sound like one FAQ word as that word, but never cuts a word the segmenter found', async () => {
    const kb = await load({
      'replace.md': entry('question: 卡片到期了怎么换\nkeywords: [到期]'),
      'format.md': entry('question: 导出支持哪些格式\nkeywords: [格式]'),
      'price.md': entry('question: 年费价格是多少\nkeywords: [年费]'),
      'camera.md': entry('question: 怎么同时录摄像头\nkeywords: [摄像头]'),
    });
    const m = new Matcher(kb);
    // 到 其 (dao qi), two loose characters, are 到期: the same evidence as the word typed right.
    const [typed] = m.rank('卡片到其了怎么换');
    const [right] = m.rank('卡片到期了怎么换');
    expect(typed!.id).toBe('replace');
    expect(typed!.input.phrasing).toBeCloseTo(right!.input.phrasing, 2);
    expect(typed!.input.keyword).toBe(1);
    // 价格 是 holds ge shi (格式) only across the word 价格: it stays a question about the price.
    expect(m.match('年费价格是多少')).toMatchObject({ decision: 'answer', id: 'price' });
    expect(m.rank('年费价格是多少').find((r) => r.id === 'format')?.input.coverage ?? 0).toBe(0);
    // Only words as the editors wrote them, not the index's sub-words: 想 投 (xiang tou) is not 像头 of 摄像头.
    expect(m.rank('我想投简历').find((r) => r.id === 'camera')?.input.coverage ?? 0).toBe(0);
  });

  it('leaves a sound shared by two FAQ words to the pinyin evidence, never picks one of them', async () => {
    const m = new Matcher(
      await load({
        'pay.md': entry('question: 怎么设置支付密码\nkeywords: [支付]'),
        'uniform.md': entry('question: 工作制服在哪领\nkeywords: [制服]'),
      }),
    );
    // 只服 sounds like both 支付 and 制服: each entry keeps only the homophone evidence.
    const ranked = m.rank('只服');
    expect(ranked.map((r) => r.id).sort()).toEqual(['pay', 'uniform']);
    expect(ranked[0]!.input.phrasing).toBe(0);
  });

  it('offers "did you mean" when two entries fit about equally', async () => {
    const m = new Matcher(
      await load({
        'a.md': entry('question: 安卓手机怎么备份照片\nkeywords: [备份, 照片]'),
        'b.md': entry('question: 苹果手机怎么备份照片\nkeywords: [备份, 照片]'),
        'c.md': entry('question: 怎么注销账号\nkeywords: [注销]'),
      }),
    );
    const r = m.match('手机照片怎么备份');
    expect(r.decision).toBe('suggest');
    expect(r.candidates.map((c) => c.id).sort()).toEqual(['a', 'b']);
  });
});
