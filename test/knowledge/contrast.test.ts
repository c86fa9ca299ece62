import { afterAll, describe, expect, it } from 'vitest';
import { buildContrasts, contrasted, parseContrasts } from '../../src/knowledge/engine/contrast.ts';
import { focusFactors } from '../../src/knowledge/engine/focus.ts';
import { dataLines } from '../../src/knowledge/engine/lexicon.ts';
import { loadKnowledgeBase, Matcher } from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';

const lines = ['开通 开启 | 取消 关闭 关掉', '信用卡 | 借记卡 储蓄卡', '登录 | 退出登录', '开 | 关', '手机 | 电脑 | 平板 ipad'];
const c = buildContrasts(parseContrasts(lines));
const sides = (text: string, tokens: string[] = []) => c.sidesOf(text, tokens);
const asked = (text: string, tokens: string[] = []) => c.askedSides(text, focusFactors(text), tokens);

describe('contrast lexicon', () => {
  it('finds the sides a text names, the longest word winning over a word inside it', () => {
    expect(sides('怎么取消自动续费')).toEqual(new Map([[0, new Set([1])]]));
    expect(sides('借记卡和信用卡')).toEqual(new Map([[1, new Set([0, 1])]]));
    // "退出登录" is the log-out side only, not also the "登录" inside it.
    expect(sides('怎么退出登录')).toEqual(new Map([[2, new Set([1])]]));
    expect(sides('登录不上')).toEqual(new Map([[2, new Set([0])]]));
  });

  it('matches one-character words only as whole tokens', () => {
    expect(sides('怎么开发票', ['怎么', '开发票']).has(3)).toBe(false);
    expect(sides('灯怎么关', ['灯', '怎么', '关']).get(3)).toEqual(new Set([1]));
  });

  it('reads a one-character verb with its potential complement as the verb (开不了, 关得掉)', () => {
    expect(sides('手机开不了机', ['手机', '开不了', '机']).get(3)).toEqual(new Set([0]));
    expect(sides('灯关得掉吗', ['灯', '关得掉', '吗']).get(3)).toEqual(new Set([1]));
    // Not any word starting with the character: 开发票 names no side.
    expect(sides('怎么开发票', ['怎么', '开发票']).has(3)).toBe(false);
  });

  it('does not count a side that describes a thing (right before 的) as what is asked', () => {
    expect(asked('取消的订单能恢复吗').has(0)).toBe(false);
    expect(asked('开通的会员怎么取消').get(0)).toEqual(new Set([1]));
    // An entry's own text still names it.
    expect(sides('取消的订单能恢复吗').get(0)).toEqual(new Set([1]));
  });

  it("does not count a side the customer says they do not mean", () => {
    expect(asked('不是要取消，是想开通').get(0)).toEqual(new Set([0]));
    expect(asked('想取消自动续费').get(0)).toEqual(new Set([1]));
  });

  it('fires only when the entry is about another side and never mentions the asked one', () => {
    const q = asked('怎么取消自动还款');
    expect(contrasted(q, sides('如何开通自动还款'), sides('如何开通自动还款'))).toBe(true);
    // The answer explains cancelling too: the entry does speak to the question.
    expect(contrasted(q, sides('如何开通自动还款'), sides('如何开通自动还款 想关闭时在设置里关掉'))).toBe(false);
    // An entry about both, or about neither, is no contrast.
    expect(contrasted(q, sides('开通和取消自动还款'), sides('开通和取消自动还款'))).toBe(false);
    expect(contrasted(q, sides('自动还款失败了'), sides('自动还款失败了'))).toBe(false);
    // The question names a side the entry speaks of too: on topic, whatever else it names.
    const sync = sides('手机和电脑怎么同步');
    expect(contrasted(asked('ipad和电脑怎么同步'), sync, sync)).toBe(false);
    expect(contrasted(asked('ipad怎么同步'), sync, sync)).toBe(true);
  });

  it('ships a lexicon whose lines each have at least two sides of words', () => {
    const shipped = dataLines('contrasts-zh.txt');
    expect(shipped.length).toBeGreaterThan(0);
    expect(parseContrasts(shipped)).toHaveLength(shipped.length);
  });
});

describe('contrasts in matching', () => {
  afterAll(removeTrees);

  it('does not answer a look-alike that asks for the opposite of an entry, and still answers the entry', async () => {
    const kb = await loadKnowledgeBase(
      await makeTree({
        'repay.md': entry('question: 如何开通自动还款\nkeywords: [自动还款]', '在 App 的还款页面打开自动还款，到期日自动扣款。'),
        'lost.md': entry('question: 信用卡丢了怎么挂失\nkeywords: [挂失]', '在 App 里一键挂失，新卡 7 天内寄出。'),
        'bill.md': entry('question: 账单怎么查\nkeywords: [账单]', '在 App 的账单页面查看。'),
      }),
    );
    const m = new Matcher(kb);
    expect(m.match('怎么开通自动还款')).toMatchObject({ decision: 'answer', id: 'repay' });
    expect(m.match('信用卡丢了 怎么挂失')).toMatchObject({ decision: 'answer', id: 'lost' });
    // These words are in the shipped contrast lexicon: a question on the other side is at most suggested.
    expect(m.match('怎么取消自动还款').decision).not.toBe('answer');
    expect(m.match('借记卡丢了怎么挂失').decision).not.toBe('answer');
  });
});

describe('contrasts the eighteenth stranger test found', () => {
  it('adding a watermark is not removing one; sound too quiet is not no sound', async () => {
    const m = new Matcher(await loadKnowledgeBase(new URL('../../knowledge-base', import.meta.url).pathname));
    expect(m.match('怎么去掉视频上的水印')).toMatchObject({ decision: 'answer', id: 'remove-watermark' });
    expect(m.match('电脑上怎么加水印 我想加自己的logo').decision).not.toBe('answer');
    expect(m.match('录屏没声音')).toMatchObject({ decision: 'answer', id: 'no-sound' });
    expect(m.match('不是没声音 是声音太小了').decision).not.toBe('answer');
    expect(m.match('录出来声音很小').decision).not.toBe('answer');
  });
});
