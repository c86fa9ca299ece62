/**
 * The 知识库 page's problems in Chinese (src/console/ui/kb-problems.js): the messages `kb lint`
 * gives for the usual mistakes all have a Chinese rule, naming what the editor wrote.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { lintKnowledgeBase } from '../../src/knowledge/index.ts';
// @ts-expect-error: a browser module without types
import { problemText } from '../../src/console/ui/kb-problems.js';
import { makeTree, removeTrees } from '../support/kb-tree.ts';

afterAll(removeTrees);

const entry = (front: string, body = '答案'): string => `---\n${front}\n---\n${body}\n`;

describe('problems in Chinese', () => {
  it('every usual mistake: a Chinese sentence with the names it is about, never the English', async () => {
    const dir = await makeTree({
      'a/full-width.md': entry('question：你好\nid: fw'),
      'a/no-space.md': entry('question:你好\nid: ns'),
      'a/open-list.md': entry('question: 好\nalternates: [甲, 乙\nid: ol'),
      'a/not-closed.md': '---\nquestion: 没结束\nid: nc\n',
      'a/no-question.md': entry('id: nq'),
      'a/empty-question.md': entry('question: \nid: eq'),
      'a/empty-answer.md': entry('question: 空答案\nid: ea', ''),
      'a/unknown-related.md': entry('question: 相关\nid: ur\nrelated: [nope]'),
      'a/tab.md': '---\nquestion: 制表符\nalternates:\n\t- 甲\nid: tb\n---\n答\n',
      'a/twice.md': entry('question: 两次\nquestion: 又一次\nid: tw'),
      'a/dup1.md': entry('question: 重复一\nid: same'),
      'a/dup2.md': entry('question: 重复二\nid: same'),
    });
    const { problems } = await lintKnowledgeBase(dir);
    expect(problems.length).toBeGreaterThanOrEqual(11);
    for (const p of problems) {
      const zh = problemText(p.message) as string;
      expect(zh, p.message).toMatch(/\p{Script=Han}/u);
      expect(zh, p.message).not.toMatch(/\b(the|is|must|add|needs|names)\b/);
    }
    const of = (file: string): string => problemText(problems.find((p) => p.file === file)!.message) as string;
    expect(of('a/full-width.md')).toContain('question: …');
    expect(of('a/unknown-related.md')).toBe('related 里的「nope」不是任何条目的 id');
    expect(of('a/no-question.md')).toBe('缺少字段「question」');
    expect(problemText('something new')).toBe('something new');
  });
});
