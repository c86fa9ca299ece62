/**
 * Learning from traffic, the knowledge side (src/knowledge/learning.ts, learning-edit.ts): which
 * phrasings the evidence proposes as alternates and when an automatic pass may adopt one (N distinct
 * conversations agreeing, never 1, never against a conflict or a rejection), the wrong answers, and
 * undoing an alternate, which gives the file back byte for byte. No Redis: the store is in memory.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  autoAdopt,
  createKnowledgeService,
  decisionKey,
  KbEditError,
  learnFromTraffic,
  loadKnowledgeBase,
  phraseKey,
  readyToAdopt,
  removeAlternate,
  type EvidenceInput,
  type KnowledgeBase,
  type KnowledgeService,
  type LearningStore,
} from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';

const POLICY_KB = path.resolve(import.meta.dirname, '../fixtures/policy-kb');

let seq = 0;
const ev = (kind: EvidenceInput['kind'], conv: string, faqId: string, text: string, botFaqId: string | null = null): EvidenceInput => ({
  kind,
  conv,
  faqId,
  text,
  botFaqId,
  at: new Date(Date.UTC(2026, 10, 24, 2, 0, seq++)).toISOString(),
});

let kb: KnowledgeBase;
beforeEach(async () => {
  kb = await loadKnowledgeBase(POLICY_KB);
});
afterEach(removeTrees);

const proposalsOf = (evidence: EvidenceInput[], dismissed?: Set<string>) => learnFromTraffic(evidence, kb, { dismissed }).proposals.flatMap((g) => g.proposals);

describe('learnFromTraffic: proposals', () => {
  it('a long complaint is not proposed as a phrasing (it stays a gap for editors to read)', () => {
    const story = '我上个月开了会员，录屏老是没声音，客服电话也打不通，真的很生气，能不能把钱退给我';
    const props = proposalsOf([ev('picked', 'b.s1', 'time-limit', story), ev('picked', 'b.s2', 'time-limit', story), ev('picked', 'b.s3', 'time-limit', '一次能录多长')]);
    expect(props.map((p) => p.text)).toEqual(['一次能录多长']);
  });

  it('one word several entries speak of (会员) is a topic, not a phrasing of the entry picked for it', () => {
    const props = proposalsOf([ev('picked', 'b.w1', 'refund', '会员'), ev('picked', 'b.w2', 'refund', '会员'), ev('picked', 'b.w3', 'refund', '会员能退吗')]);
    expect(props.map((p) => p.text)).toEqual(['会员能退吗']);
  });

  it('picked and then "没解决" in the same chat is not a phrasing of that entry', () => {
    const props = proposalsOf([ev('picked', 'b.r1', 'time-limit', '录着录着停了'), ev('not_helpful', 'b.r1', 'time-limit', '录着录着停了'), ev('picked', 'b.r2', 'time-limit', '一次能录多长')]);
    expect(props.map((p) => p.text)).toEqual(['一次能录多长']);
  });

  it('the same words typed differently are one proposal, confirmed once per conversation, with the kinds of evidence', () => {
    const report = learnFromTraffic(
      [
        ev('picked', 'b.c1', 'time-limit', '一次能录多长'),
        ev('helpful', 'b.c1', 'time-limit', '一次能录多长'),
        ev('picked', 'b.c2', 'time-limit', '一次 能录多长？'),
        ev('agent', 'b.c3', 'time-limit', '一次能录多长！！'),
        ev('picked', 'b.c4', 'invoice', '票据怎么弄'),
      ],
      kb,
    );
    expect(report.proposals.map((g) => g.id)).toEqual(['time-limit', 'invoice']);
    const [time] = report.proposals[0]!.proposals;
    expect(time).toMatchObject({ faqId: 'time-limit', key: phraseKey('一次能录多长'), count: 4, convs: 3, kinds: { picked: 2, helpful: 1, agent: 1 }, conflict: null, conv: 'b.c3' });
    // The newest wording stands for the phrasing.
    expect(time!.text).toBe('一次能录多长！！');
    expect(report.proposals[0]!.question).toBe('录屏有时间限制吗？');
  });

  it('proposes nothing an entry already has, nothing dismissed, no menu number and no unknown entry', () => {
    const proposals = proposalsOf([
      ev('helpful', 'b.c1', 'refund', '怎么申请退款'), // refund's alternate already
      ev('helpful', 'b.c2', 'invoice', '会员可以退款吗'), // refund's question
      ev('picked', 'b.c3', 'refund', '2'),
      ev('picked', 'b.c4', 'no-such-entry', '这个功能在哪'),
      ev('picked', 'b.c5', 'invoice', '票据怎么弄'),
      ev('picked', 'b.c6', 'device-limit', '能同时几个人用'),
    ], new Set([decisionKey('device-limit', phraseKey('能同时几个人用'))]));
    expect(proposals.map((p) => [p.faqId, p.text])).toEqual([['invoice', '票据怎么弄']]);
  });
});

describe('readyToAdopt: when a pass may adopt', () => {
  const three = (faqId: string, text: string) => ['b.c1', 'b.c2', 'b.c3'].map((c) => ev('picked', c, faqId, text));

  it('needs N distinct conversations: one conversation confirming three times is one confirmation', () => {
    const one = learnFromTraffic([ev('picked', 'b.c1', 'invoice', '票据怎么弄'), ev('helpful', 'b.c1', 'invoice', '票据怎么弄'), ev('agent', 'b.c1', 'invoice', '票据怎么弄')], kb);
    expect(one.proposals[0]!.proposals[0]).toMatchObject({ count: 3, convs: 1 });
    expect(readyToAdopt(one, 3)).toEqual([]);
    expect(readyToAdopt(one, 2)).toEqual([]);
    const report = learnFromTraffic(three('invoice', '票据怎么弄'), kb);
    expect(readyToAdopt(report, 3).map((p) => p.text)).toEqual(['票据怎么弄']);
    expect(readyToAdopt(report, 4)).toEqual([]);
  });

  it('never on a single confirmation, even with a threshold of 1', () => {
    const report = learnFromTraffic([ev('picked', 'b.c1', 'invoice', '票据怎么弄')], kb);
    expect(report.proposals).toHaveLength(1);
    expect(readyToAdopt(report, 1)).toEqual([]);
    expect(readyToAdopt(report, 0)).toEqual([]);
  });

  it('a phrasing confirmed for two entries is a conflict: neither is adopted, both are shown with the other', () => {
    const report = learnFromTraffic([...three('membership-plans', '会员咋弄'), ev('agent', 'b.c9', 'refund', '会员咋弄')], kb);
    expect(readyToAdopt(report, 3)).toEqual([]);
    const plans = report.proposals.find((g) => g.id === 'membership-plans')!.proposals[0]!;
    expect(plans.conflict).toEqual({ entries: [{ id: 'refund', convs: 1 }], rejected: 0 });
    const refund = report.proposals.find((g) => g.id === 'refund')!.proposals[0]!;
    expect(refund.conflict).toEqual({ entries: [{ id: 'membership-plans', convs: 3 }], rejected: 0 });
  });

  it("a rejection of the entry's answer to it blocks adoption; a rejection of another entry does not", () => {
    const rejected = learnFromTraffic([...three('invoice', '票据怎么弄'), ev('rejected', 'b.c7', 'invoice', '票据怎么弄')], kb);
    expect(readyToAdopt(rejected, 3)).toEqual([]);
    expect(rejected.proposals[0]!.proposals[0]!.conflict).toEqual({ entries: [], rejected: 1 });
    const notHelpful = learnFromTraffic([...three('invoice', '票据怎么弄'), ev('not_helpful', 'b.c7', 'invoice', '票据怎么弄')], kb);
    expect(readyToAdopt(notHelpful, 3)).toEqual([]);
    // An agent who sent another entry's answer after the bot answered with this one: a rejection too.
    const corrected = learnFromTraffic([...three('invoice', '票据怎么弄'), ev('agent', 'b.c8', 'refund', '票据怎么弄', 'invoice')], kb);
    expect(readyToAdopt(corrected, 3)).toEqual([]);
    // The bot answered with the wrong entry, the customer said so, the agent sent the right one: agreement.
    const wrongElsewhere = learnFromTraffic([...three('invoice', '票据怎么弄'), ev('not_helpful', 'b.c7', 'login-help', '票据怎么弄'), ev('agent', 'b.c7', 'invoice', '票据怎么弄', 'login-help')], kb);
    expect(readyToAdopt(wrongElsewhere, 3).map((p) => [p.faqId, p.convs])).toEqual([['invoice', 4]]);
  });
});

describe('learnFromTraffic: wrong answers', () => {
  it('lists answers followed by 没解决, 转人工 or another FAQ answer from the agent, with what the agent sent', () => {
    const { wrongAnswers } = learnFromTraffic(
      [
        ev('not_helpful', 'b.c1', 'login-help', '票据怎么弄'),
        ev('rejected', 'b.c2', 'login-help', '票据 怎么弄'),
        ev('agent', 'b.c2', 'invoice', '票据怎么弄', 'login-help'),
        ev('agent', 'b.c3', 'invoice', '发票抬头写错了', 'invoice'), // the agent agreed with the bot
        ev('helpful', 'b.c4', 'refund', '钱能不能退回来'),
        ev('rejected', 'b.c5', 'refund', '退款要多久'),
      ],
      kb,
    );
    expect(wrongAnswers.map((w) => [w.faqId, w.text, w.convs])).toEqual([
      ['login-help', '票据怎么弄', 2],
      ['refund', '退款要多久', 1],
    ]);
    expect(wrongAnswers[0]).toMatchObject({ count: 3, kinds: { not_helpful: 1, rejected: 1, corrected: 1 }, corrections: [{ id: 'invoice', count: 1 }] });
  });

  it('leaves out a wrong answer an editor dismissed, and only that one', () => {
    const evidence = [ev('not_helpful', 'b.c1', 'login-help', '票据怎么弄'), ev('rejected', 'b.c5', 'refund', '退款要多久')];
    const key = learnFromTraffic(evidence, kb).wrongAnswers.find((w) => w.faqId === 'login-help')!.key;
    const { wrongAnswers } = learnFromTraffic(evidence, kb, { dismissed: new Set([decisionKey('login-help', key)]) });
    expect(wrongAnswers.map((w) => w.faqId)).toEqual(['refund']);
  });
});

describe('removeAlternate: undoing an adoption', () => {
  it('gives the file back byte for byte: an item of an existing list, and a list the adoption created', async () => {
    const { addAlternate } = await import('../../src/knowledge/index.ts');
    const dir = await makeTree({
      'a/with-list.md': entry('question: 怎么开发票？\nalternates:\n  - 发票在哪里开 # 常见\ntags: [billing]\nid: with-list'),
      'a/no-list.md': entry('question: 录屏有时间限制吗？\ntags: [recording]\nid: no-list'),
    });
    for (const [id, file, text] of [['with-list', 'a/with-list.md', '票据怎么弄'], ['no-list', 'a/no-list.md', '一次能录多长']] as const) {
      const before = await readFile(path.join(dir, file), 'utf8');
      await addAlternate(dir, id, text);
      expect(await readFile(path.join(dir, file), 'utf8')).not.toBe(before);
      const removed = await removeAlternate(dir, id, `${text}？`);
      expect(await readFile(path.join(dir, file), 'utf8')).toBe(before);
      expect(removed.alternates).not.toContain(text);
    }
  });

  it('removes from a flow list too, and refuses what is not there', async () => {
    const dir = await makeTree({ 'a/flow.md': entry('question: 怎么开发票？\nalternates: [发票在哪里开, 票据怎么弄]\ntags: [billing]\nid: flow') });
    const done = await removeAlternate(dir, 'flow', '票据怎么弄');
    expect(done.alternates).toEqual(['发票在哪里开']);
    expect(await readFile(path.join(dir, 'a/flow.md'), 'utf8')).toContain('question: 怎么开发票？');
    await expect(removeAlternate(dir, 'flow', '票据怎么弄')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(removeAlternate(dir, 'nope', '票据怎么弄')).rejects.toBeInstanceOf(KbEditError);
  });
});

describe('autoAdopt: one automatic pass', () => {
  let dir: string;
  let service: KnowledgeService;
  beforeEach(async () => {
    dir = await makeTree();
    await cp(POLICY_KB, dir, { recursive: true });
    service = await createKnowledgeService({ dir, watch: false });
  });
  afterEach(async () => service.close());

  function memoryStore(evidence: EvidenceInput[], autoAdopt = true): LearningStore & { log: string[]; claimed: Set<string> } {
    const claimed = new Set<string>();
    const log: string[] = [];
    return {
      log,
      claimed,
      settings: async () => ({ autoAdopt, threshold: 3 }),
      evidence: async () => evidence,
      dismissed: async () => new Set<string>(),
      claimAdoption: async (faqId, key) => !claimed.has(decisionKey(faqId, key)) && Boolean(claimed.add(decisionKey(faqId, key))),
      releaseAdoption: async (faqId, key) => void claimed.delete(decisionKey(faqId, key)),
      logAdoption: async (a) => (log.push(`${a.faqId}|${a.text}|${a.convs}`), `${log.length}-0`),
    };
  }
  const lines: { msg: string; fields: object }[] = [];
  const logger = { info: (fields: object, msg: string) => void lines.push({ fields, msg }), warn: (fields: object, msg: string) => void lines.push({ fields, msg }) };

  it('adopts what N conversations agree on, once, reloads, logs; off: nothing', async () => {
    const evidence = ['b.c1', 'b.c2', 'b.c3'].map((c) => ev('picked', c, 'invoice', '票据怎么弄'));
    expect(await autoAdopt(memoryStore(evidence, false), service, { logger })).toEqual([]);
    expect(service.match('票据怎么弄').decision).not.toBe('answer');

    const store = memoryStore(evidence);
    const before = await readFile(path.join(dir, 'billing/invoice.md'), 'utf8');
    const adopted = await autoAdopt(store, service, { logger });
    expect(adopted.map((a) => [a.faqId, a.text, a.convs, a.file])).toEqual([['invoice', '票据怎么弄', 3, 'billing/invoice.md']]);
    expect(store.log).toEqual(['invoice|票据怎么弄|3']);
    expect(lines.filter((l) => l.msg === 'learning: alternate adopted automatically')).toHaveLength(1);
    const after = await readFile(path.join(dir, 'billing/invoice.md'), 'utf8');
    expect(after.split('\n').length).toBe(before.split('\n').length + 1);
    expect(service.match('票据怎么弄')).toMatchObject({ decision: 'answer', id: 'invoice' });
    // Covered now: the next pass has nothing to do.
    expect(await autoAdopt(store, service, { logger })).toEqual([]);
  });

  it('a phrasing another process claimed is left alone; a refused edit gives the claim back', async () => {
    const store = memoryStore(['b.c1', 'b.c2', 'b.c3'].map((c) => ev('picked', c, 'invoice', '票据怎么弄')));
    store.claimed.add(decisionKey('invoice', phraseKey('票据怎么弄')));
    expect(await autoAdopt(store, service)).toEqual([]);
    store.claimed.clear();
    // The entry's own file is broken (an editor mid-typo): nothing is written and the claim is released.
    await writeFile(path.join(dir, 'billing/invoice.md'), '---\nquestion: [\n---\nx\n');
    expect(await autoAdopt(store, service, { logger })).toEqual([]);
    expect(store.claimed.size).toBe(0);
    expect(lines.at(-1)).toMatchObject({ msg: 'learning: automatic adoption refused by the knowledge base', fields: { code: 'KB_INVALID' } });
  });
});
