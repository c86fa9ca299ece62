import { afterAll, describe, expect, it } from 'vitest';
import { buildLexicon, dataLines } from '../../src/knowledge/engine/lexicon.ts';
import type { KbExtras } from '../../src/knowledge/types.ts';
import { loadKnowledgeBase, Matcher } from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';

const noExtras: KbExtras = { synonyms: [], words: [] };

describe('category lexicon (categories-zh.txt)', () => {
  it("gives a customer's word the category its FAQ word carries, one way only", () => {
    const lex = buildLexicon(noExtras);
    const pet = lex.concepts('宠物').filter((c) => c.startsWith('§c'));
    expect(pet.length).toBeGreaterThan(0);
    expect(lex.broader('猫')).toEqual(expect.arrayContaining(pet));
    expect(lex.broader('狗')).toEqual(expect.arrayContaining(pet));
    // Instances carry no concept of their own: an entry that says 猫 never speaks for 狗.
    expect(lex.concepts('猫').some((c) => lex.broader('狗').includes(c))).toBe(false);
    expect(lex.broader('宠物')).toEqual([]);
  });

  it('ships lines of category words, " : ", then instances', () => {
    const lines = dataLines('categories-zh.txt');
    expect(lines.length).toBeGreaterThan(100);
    const bad = lines.filter((l) => {
      const parts = l.split(' : ');
      return parts.length !== 2 || parts.some((p) => p.trim().split(/\s+/).filter(Boolean).length === 0);
    });
    expect(bad).toEqual([]);
  });
});

describe('categories in matching', () => {
  afterAll(removeTrees);

  it('finds the category entry for a thing the FAQ never names, but not a sibling entry', async () => {
    const kb = await loadKnowledgeBase(
      await makeTree({
        'pets.md': entry('question: 可以带宠物吗\nkeywords: [宠物]', '小型宠物可以随机托运，需提前申请。'),
        'food.md': entry('question: 可以带食物吗\nkeywords: [食物]', '密封包装的食物可以随身携带。'),
        'bags.md': entry('question: 托运行李超重怎么收费\nkeywords: [超重]', '超重部分按公斤收费。'),
        'seat.md': entry('question: 怎么在线选座\nkeywords: [选座]', '值机时可以选座。'),
        'cat.md': entry('question: 猫砂怎么买\nkeywords: [猫砂]', '在商城搜索猫砂。'),
      }),
    );
    const m = new Matcher(kb);
    expect(m.match('能带猫吗')).toMatchObject({ id: 'pets', decision: expect.stringMatching(/answer|suggest/) });
    expect(m.match('我家狗子可以带吗')).toMatchObject({ id: 'pets', decision: expect.stringMatching(/answer|suggest/) });
    expect(m.match('箱子超了要交多少钱')).toMatchObject({ id: 'bags' });
    // jieba glues 带 and 狗 into one word: the thing inside still finds its category.
    expect(m.match('可以带狗过来吗')).toMatchObject({ id: 'pets', decision: expect.stringMatching(/answer|suggest/) });
    // 猫砂 is in the FAQ: its own word decides, the category does not pull 宠物 in.
    expect(m.match('猫砂在哪买')).toMatchObject({ id: 'cat' });
  });
});
