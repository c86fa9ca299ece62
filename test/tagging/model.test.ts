/**
 * The tag model on its own: it learns agents' tags from words and FAQ entries, it judges every past
 * conversation with a model that never saw it, and it refuses auto-apply to a tag whose measured
 * precision is below the bar (or measured on too few applications to tell).
 */
import { describe, expect, it } from 'vitest';
import {
  AUTO_PRECISION,
  crossPredict,
  featuresOf,
  foldOf,
  measure,
  MIN_AUTO_SUPPORT,
  predict,
  suggestedTags,
  trainModel,
  type DocWithId,
  type Judged,
  type TagModel,
} from '../../src/tagging/index.ts';
import { holdoutSet, trainSet } from '../support/tagging.ts';

const docs = (set = trainSet()): DocWithId[] => set.map((c) => ({ id: c.id, tags: c.tags, features: featuresOf(c) }));
const input = (customer: string[], faqIds: string[] = [], agent: string[] = []) => ({ customer, agent, faqIds });

describe('features', () => {
  it("are the engine's words (no single characters, no bare numbers) and the FAQ entries touched", () => {
    const f = featuresOf(input(['我的订单 20240512 申请退款了，钱还没到账'], ['refund']));
    expect(f).toContain('faq:refund');
    expect(f).toContain('退款');
    expect(f).toContain('订单');
    expect(f.some((w) => /^\d+$/.test(w))).toBe(false);
    expect(f.every((w) => [...w].length >= 2)).toBe(true);
  });
});

describe('the model', () => {
  it('learns the tags agents gave: new wording of each topic gets its tag first', () => {
    const model = trainModel(docs());
    const top = (customer: string[], faq: string[] = []) => suggestedTags(predict(model, featuresOf(input(customer, faq))))[0];
    expect(top(['发票抬头开错了，能帮我重新开一张吗'])).toBe('发票');
    expect(top(['换了新电脑，提示设备数量超了'])).toBe('设备授权');
    expect(top(['录出来的视频没有声音'], ['no-sound'])).toBe('录制问题');
    expect(top(['验证码一直收不到，登录不了'])).toBe('账号登录');
  });

  it('an FAQ entry the bot answered with counts as evidence on its own', () => {
    const model = trainModel(docs());
    const p = (faq: string[]) => predict(model, featuresOf(input(['你好，在吗'], faq))).get('导出') ?? 0;
    expect(p(['export-formats'])).toBeGreaterThan(p([]) + 0.2);
  });

  it('is the same model from the same history (every console agrees)', () => {
    expect(JSON.stringify(trainModel(docs()))).toBe(JSON.stringify(trainModel(docs())));
  });

  it('models only tags with enough examples, and says how many each had', () => {
    const model = trainModel([...docs(), { id: 'x1', tags: ['罕见'], features: ['退款'] }]);
    expect(model.examples['罕见']).toBe(1);
    expect(model.tags['罕见']).toBeUndefined();
    expect(Object.keys(model.tags).sort()).toEqual(['会员购买', '发票', '导出', '录制问题', '投诉', '设备授权', '账号登录', '退款']);
  });
});

describe('held-out measurement', () => {
  it('judges every conversation once, by a model that was not trained on it', () => {
    const all = docs();
    const trainedOn: Set<string>[] = [];
    const judgedBy = new Map<string, number>();
    const judged = crossPredict(all, {
      train: (d) => {
        trainedOn.push(new Set(d.map((x) => x.id)));
        return trainModel(d);
      },
    });
    // crossPredict trains once per fold, then judges that fold: the i-th model judges fold i's documents.
    for (const j of judged) judgedBy.set(j.id, foldOf(j.id));
    expect(judged.map((j) => j.id).sort()).toEqual(all.map((d) => d.id).sort());
    expect(trainedOn.length).toBe(5);
    for (const [id, fold] of judgedBy) expect(trainedOn[fold]!.has(id), id).toBe(false);
    // ...and each model learned from every other fold.
    for (const [f, ids] of trainedOn.entries()) expect(ids.size).toBe(all.filter((d) => foldOf(d.id) !== f).length);
  });

  it('sees through memorisation: a tag that follows no words is perfect on its training data and refused for auto-apply', () => {
    // 'VIP' marks every other conversation, whatever it says; each has a one-off word, so a model can memorise them.
    const noisy = docs().map((d, i) => ({ ...d, features: [...d.features, `单号${i}`, `单号${i}`], tags: i % 2 ? [...d.tags, 'VIP'] : d.tags }));
    const withOneOffs: TagModel = trainModel(noisy, { minDf: 1, epochs: 200, l2: 0 });
    const onTraining: Judged[] = noisy.map((d) => ({ id: d.id, truth: d.tags, probs: predict(withOneOffs, d.features) }));
    const seen = measure(onTraining, ['VIP'])[0]!;
    expect(seen.auto.precision).toBeGreaterThanOrEqual(AUTO_PRECISION);
    expect(seen.autoEligible).toBe(true);
    const heldOut = measure(crossPredict(noisy, { minDf: 1, epochs: 200, l2: 0 }), ['VIP'])[0]!;
    expect(heldOut.autoEligible).toBe(false);
    expect(heldOut.suggest.precision ?? 0).toBeLessThan(0.75);
  });
});

describe('the auto-apply bar', () => {
  const judged = (right: number, wrong: number): Judged[] => [
    ...Array.from({ length: right }, (_, i) => ({ id: `r${i}`, truth: ['退款'], probs: new Map([['退款', 0.95]]) })),
    ...Array.from({ length: wrong }, (_, i) => ({ id: `w${i}`, truth: ['发票'], probs: new Map([['退款', 0.95]]) })),
  ];

  it('refuses a tag whose measured precision is below 90%', () => {
    const q = measure(judged(17, 3), ['退款'])[0]!;
    expect(q.auto.precision).toBe(0.85);
    expect(q.autoEligible).toBe(false);
  });

  it('accepts one at 90% or more over enough applications, and refuses the same rate over too few', () => {
    expect(measure(judged(18, 2), ['退款'])[0]!).toMatchObject({ auto: { precision: 0.9, predicted: 20 }, autoEligible: true });
    const few = measure(judged(MIN_AUTO_SUPPORT - 1, 0), ['退款'])[0]!;
    expect(few.auto.precision).toBe(1);
    expect(few.autoEligible).toBe(false);
  });

  it('on the hand-written set, allows only tags that held up on held-out folds, and they hold up on the unseen holdout', () => {
    const train = docs();
    const model = trainModel(train);
    const cv = measure(crossPredict(train), Object.keys(model.tags));
    const allowed = cv.filter((q) => q.autoEligible).map((q) => q.tag);
    expect(allowed.length).toBeGreaterThan(0);
    expect(allowed.length).toBeLessThan(cv.length);
    for (const q of cv.filter((x) => x.autoEligible)) expect(q.auto.precision!).toBeGreaterThanOrEqual(AUTO_PRECISION);
    const hold = docs(holdoutSet()).map((d) => ({ id: d.id, truth: d.tags, probs: new Map([...predict(model, d.features)].filter(([t]) => allowed.includes(t))) }));
    let correct = 0;
    let predicted = 0;
    for (const q of measure(hold, allowed)) {
      correct += q.auto.correct;
      predicted += q.auto.predicted;
    }
    expect(predicted).toBeGreaterThan(0);
    expect(correct / predicted).toBeGreaterThanOrEqual(AUTO_PRECISION);
  });
});
