/**
 * The one line of an answer that speaks of a follow-up (src/knowledge/engine/excerpt.ts through
 * Matcher.excerpt): found by the follow-up's words or their synonyms, only when exactly one line
 * holds them all, and only in an answer of more than one line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadKnowledgeBase, Matcher } from '../../src/knowledge/index.ts';
import { makeTree, removeTrees } from '../support/kb-tree.ts';

afterAll(removeTrees);

const TREE = {
  'plans.md': '---\nquestion: 会员多少钱\nid: plans\n---\n会员有三种：\n- **月度会员** ¥25/月\n- **年度会员** ¥168/年\n- **永久会员** ¥298\n\n会员可以去除水印，最多 3 台设备通用。\n',
  'sound.md': '---\nquestion: 录屏没有声音怎么办\nid: sound\n---\n1. 打开 **系统声音** 开关。\n2. Windows 用户检查声音设置。\n3. Mac 用户安装音频组件。\n',
  'short.md': '---\nquestion: 怎么开发票\nid: short\n---\n在订单页点开发票，填写抬头即可。\n',
};

async function matcher(): Promise<Matcher> {
  return new Matcher(await loadKnowledgeBase(await makeTree(TREE)));
}

describe('Matcher.excerpt', () => {
  it('the line that holds every word asked, rendered as WeChat shows it', async () => {
    const m = await matcher();
    expect(m.excerpt('plans', '永久的呢')).toBe('• 永久会员 ¥298');
    // Asking the price: a line with an amount answers it.
    expect(m.excerpt('plans', '年度会员多少钱')).toBe('• 年度会员 ¥168/年');
    expect(m.excerpt('sound', 'mac')).toBe('3. Mac 用户安装音频组件。');
    expect(m.excerpt('sound', '我用的windows')).toBe('2. Windows 用户检查声音设置。');
  });

  it('a where-question finds the line that says where; a question with words no line holds, the line of its weightiest word', async () => {
    const m = await matcher();
    expect(m.excerpt('sound', '在哪里开')).toBe('1. 打开系统声音开关。');
    expect(m.excerpt('sound', 'windows要怎么弄呀')).toBe('2. Windows 用户检查声音设置。');
    // The weightiest word in no line, or in two: none.
    expect(m.excerpt('plans', '学生有优惠吗')).toBeUndefined();
  });

  it('none when no line, or more than one, holds what is asked, for a one-line answer, or an unknown entry', async () => {
    const m = await matcher();
    // 声音 is in two lines: no line in particular.
    expect(m.excerpt('sound', '声音')).toBeUndefined();
    expect(m.excerpt('plans', '能退款吗')).toBeUndefined();
    expect(m.excerpt('short', '抬头')).toBeUndefined();
    expect(m.excerpt('nope', 'mac')).toBeUndefined();
    // Particles alone ask nothing.
    expect(m.excerpt('plans', '那呢')).toBeUndefined();
    // The entry's own question again asks for the whole answer.
    expect(m.excerpt('sound', '录屏没声音')).toBeUndefined();
    // A line that leads into the lines below it is no point of its own.
    expect(m.excerpt('plans', '有几种')).toBeUndefined();
  });
});
