/**
 * Editors' text that must never reach a customer (issue 11, "Also"): control characters (the bot
 * once sent a NUL), lone surrogates, and text made only of zero-width or bidi characters. Every
 * editor file refuses them with file:line, and a hand-edited file with a NUL leaves the last good
 * knowledge base serving.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/knowledge/errors.ts';
import { createKnowledgeService, lintEditorFiles, parseMessages, parseReplies, unsafeText } from '../../src/knowledge/index.ts';
import { lintKnowledgeBase } from '../../src/knowledge/loader.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';

afterEach(removeTrees);

const located = async (files: Record<string, string>): Promise<string[]> => (await lintKnowledgeBase(await makeTree(files))).problems.map(formatProblem);

describe('unsafeText: which characters', () => {
  it('refuses every C0 and C1 control but tab and line feed, naming the code point', () => {
    for (let c = 0; c <= 0x9f; c++) {
      const ch = String.fromCharCode(c);
      const bad = unsafeText(`退款${ch}说明`);
      const allowed = c === 0x09 || c === 0x0a || (c >= 0x20 && c < 0x7f);
      if (allowed) expect(bad, `U+${c.toString(16)}`).toBeUndefined();
      else expect(bad, `U+${c.toString(16)}`).toEqual({ index: 2, message: expect.stringContaining(`control character (U+${c.toString(16).toUpperCase().padStart(4, '0')})`) });
    }
  });

  it('refuses lone surrogates but keeps real astral characters (emoji)', () => {
    expect(unsafeText('好\uD83D')?.message).toMatch(/lone surrogate U\+D83D/);
    expect(unsafeText('\uDE00好')?.message).toMatch(/lone surrogate U\+DE00/);
    expect(unsafeText('谢谢🙏')).toBeUndefined();
  });

  it('refuses text with nothing visible, keeps invisible characters inside visible text', () => {
    for (const s of ['\u200B', '\u200B\u200C\u200D', '\u200E\u200F', '\u2060', '\uFEFF\u200B', '\u202A\u202B\u202C\u202D\u202E', '\u2066\u2067\u2068\u2069', ' \u200B ']) {
      expect(unsafeText(s)?.message, JSON.stringify(s)).toMatch(/only invisible characters/);
    }
    expect(unsafeText('会\u200B员')).toBeUndefined();
    expect(unsafeText('\u2067عربى\u2069 你好')).toBeUndefined();
    expect(unsafeText('👨\u200D👩\u200D👧')).toBeUndefined();
    expect(unsafeText('')).toBeUndefined(); // "empty" is each caller's own rule
  });
});

describe('the FAQ loader refuses them at file:line', () => {
  it('a NUL typed in the answer, at its line (blank lines above the answer counted)', async () => {
    const file = '---\nquestion: 怎么退款？\n---\n\n第一行\n第二行\u0000有个空字符\n';
    expect(await located({ 'refund.md': file })).toEqual(['refund.md:6: the answer contains a control character (U+0000): remove it']);
  });

  it('an answer of only zero-width characters', async () => {
    expect(await located({ 'a.md': entry('question: 你好', '\u200B\u200B') })).toEqual([
      'a.md:4: the answer has only invisible characters (zero-width spaces, direction marks): write visible text',
    ]);
  });

  it('front matter: YAML escapes (\\0, \\x85, \\uD800) and zero-width alternates, at the field\'s line', async () => {
    const fm = ['question: "退款\\0"', 'alternates:', '  - 退钱', '  - "\\u200B\\u200B"', '  - "\\x85"', 'keywords: ["\\uD800"]', 'tags: ["\\u202E"]'].join('\n');
    expect(await located({ 'a.md': entry(fm) })).toEqual([
      'a.md:2: "question" contains a control character (U+0000): remove it',
      'a.md:5: "alternates" item 2 has only invisible characters (zero-width spaces, direction marks): write visible text',
      'a.md:6: "alternates" item 3 contains a control character (U+0085): remove it',
      'a.md:7: "keywords" item 1 contains a broken character (lone surrogate U+D800): remove it',
      'a.md:8: "tags" item 1 has only invisible characters (zero-width spaces, direction marks): write visible text',
    ]);
  });

  it('a raw control character in a front-matter value (the fast YAML reader refuses it; the full one reports it)', async () => {
    expect(await located({ 'a.md': entry('question: 你好\nalternates: [在吗\u0007]') })).toEqual([
      'a.md:3: "alternates" item 1 contains a control character (U+0007): remove it',
    ]);
  });

  it('synonyms and words', async () => {
    expect(await located({ 'a.md': entry('question: 你好'), '_synonyms.yml': '- [会员, "\\u200B"]\n', '_words.yml': '- 专业版\n- "闪\\u0001录"\n' })).toEqual([
      '_synonyms.yml:1: group 1 word 2 has only invisible characters (zero-width spaces, direction marks): write visible text',
      '_words.yml:2: word 2 contains a control character (U+0001): remove it',
    ]);
  });

  it('a hand-edited file with a NUL is refused and the last good knowledge base keeps serving', async () => {
    const root = await makeTree({ 'billing/refund.md': entry('question: 怎么退款？', '7 天内可以全额退款。') });
    const service = await createKnowledgeService({ dir: root, watch: false });
    try {
      await writeFile(path.join(root, 'billing/refund.md'), entry('question: 怎么退款？', '7 天内\u0000可以全额退款。'));
      expect(await service.reload()).toBe(false);
      expect(service.problems().map(formatProblem)).toEqual(['billing/refund.md:4: the answer contains a control character (U+0000): remove it']);
      expect(service.matcher().entry('refund')?.answer).toBe('7 天内可以全额退款。');
    } finally {
      await service.close();
    }
  });
});

describe('phrases and reply templates refuse them too', () => {
  it('_messages.yml: a phrase with a NUL escape, a phrase of zero-width spaces', () => {
    const { problems } = parseMessages('greeting: "您好\\0"\nclosing: "\\u200B"\n', 'm.yml');
    expect(problems.map(formatProblem)).toContain('m.yml:1: "greeting" contains a control character (U+0000): remove it');
    expect(problems.map(formatProblem)).toContain('m.yml:2: "closing" has only invisible characters (zero-width spaces, direction marks): write visible text');
  });

  it('_replies.yml: a text and a title', () => {
    expect(parseReplies('稍等: "好的\\x1b[31m"\n"\\u200B": 看不见的标题\n', 'r.yml').problems.map(formatProblem)).toEqual([
      'r.yml:1: "稍等" contains a control character (U+001B): remove it',
      'r.yml:2: the title has only invisible characters (zero-width spaces, direction marks): write visible text',
    ]);
  });

  it('lintEditorFiles reports each file at its line, paths relative to the root', async () => {
    const root = await makeTree({ 'a.md': entry('question: 你好'), '_replies.yml': '稍等: "好的\\0"\n' });
    const report = await lintEditorFiles(root);
    expect(report.kb).not.toBeNull();
    expect(report.replies).toBeUndefined();
    expect(report.problems.map(formatProblem)).toEqual(['_replies.yml:1: "稍等" contains a control character (U+0000): remove it']);
  });
});
