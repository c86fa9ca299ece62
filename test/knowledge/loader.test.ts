import { symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem, KnowledgeBaseInvalidError } from '../../src/knowledge/errors.ts';
import { lintKnowledgeBase, loadKnowledgeBase, parseEntryFile } from '../../src/knowledge/loader.ts';
import type { KbProblem } from '../../src/knowledge/types.ts';
import { entry, makeTree, removeTrees, type Tree } from '../support/kb-tree.ts';

afterEach(removeTrees);

/** `file:line` of each problem, plus the message so a failure shows what went wrong. */
const located = (problems: KbProblem[]): string[] => problems.map(formatProblem);

async function lint(files: Tree) {
  return lintKnowledgeBase(await makeTree(files));
}

describe('lintKnowledgeBase: a good tree', () => {
  const goodTree: Tree = {
    'README.md': '# not an entry',
    '_notes.md': 'editor notes, not an entry',
    '_todo.yml': '[this is: not checked',
    'billing/readme.MD': 'also not an entry',
    'billing/refund.md': entry(`
question: 如何申请退款？
alternates:
  - 会员能退款吗
  - 买错了想退钱
  - 会员能退款吗
  - 如何申请退款？
keywords: [退款, 退钱, 618]
tags: [billing, money]
id: refund
menu: 1
related: [cancel-renewal]
owner: 小王
review: { due: 2025-01-01 }
`, '购买后 7 天内可在 **我的 → 订单 → 申请退款** 提交。'),
    'billing/subscriptions/cancel-renewal.md': entry(`
question: "  怎么取消自动续费  "
tags: billing
menu: 2
related: [refund, refund]
`),
    'general/hello.md': entry('question: 你好\nid: 42'),
    '.git/config.md': 'not even read',
    'node_modules/pkg/readme2.md': 'not even read',
    '_synonyms.yml': '- [会员, VIP, 专业版]\n- [退款, 退钱]\n',
    '_words.yml': '# product names\n- 专业版\n- 618\n',
  };

  it('loads every entry with ids, categories, alternates, extras and unknown fields', async () => {
    const root = await makeTree(goodTree);
    const { kb, problems } = await lintKnowledgeBase(root);
    expect(problems).toEqual([]);
    expect(kb).not.toBeNull();
    expect(kb?.root).toBe(path.resolve(root));
    expect(kb?.entries.map((e) => [e.file, e.id, e.category])).toEqual([
      ['billing/refund.md', 'refund', 'billing'],
      ['billing/subscriptions/cancel-renewal.md', 'cancel-renewal', 'billing'],
      ['general/hello.md', '42', 'uncategorized'],
    ]);
    const [refund, cancel] = kb?.entries ?? [];
    expect(refund).toMatchObject({
      question: '如何申请退款？',
      // duplicates and the question itself are dropped
      alternates: ['会员能退款吗', '买错了想退钱'],
      // 618 is kept as written, not as a number
      keywords: ['退款', '退钱', '618'],
      tags: ['billing', 'money'],
      menu: 1,
      related: ['cancel-renewal'],
      answer: '购买后 7 天内可在 **我的 → 订单 → 申请退款** 提交。',
      extra: { owner: '小王', review: { due: '2025-01-01' } },
    });
    expect(cancel).toMatchObject({ question: '怎么取消自动续费', tags: ['billing'], related: ['refund'], menu: 2 });
    expect(kb?.extras).toEqual({ synonyms: [['会员', 'VIP', '专业版'], ['退款', '退钱']], words: ['专业版', '618'] });
  });

  it('accepts a UTF-8 BOM and CRLF line endings', async () => {
    const text = '\uFEFF---\r\nquestion: 怎么登录\r\nalternates:\r\n  - 登不上\r\n---\r\n第一行\r\n第二行\r\n';
    const { kb, problems } = await lint({ 'login.md': text });
    expect(problems).toEqual([]);
    expect(kb?.entries[0]).toMatchObject({ id: 'login', question: '怎么登录', alternates: ['登不上'], answer: '第一行\n第二行' });
  });

  it('loads an empty tree, with empty extras', async () => {
    const { kb, problems } = await lint({});
    expect(problems).toEqual([]);
    expect(kb?.entries).toEqual([]);
    expect(kb?.extras).toEqual({ synonyms: [], words: [] });
  });

  it('loadKnowledgeBase returns the same knowledge base', async () => {
    const kb = await loadKnowledgeBase(await makeTree(goodTree));
    expect(kb.entries).toHaveLength(3);
  });
});

describe('lintKnowledgeBase: problems name the file and line', () => {
  const ok = (q = 'q') => entry(`question: ${q}`);
  const cases: Array<[kind: string, files: Tree, expected: string[]]> = [
    ['no front matter', { 'a.md': 'just an answer\n' }, ['a.md:1: missing front matter']],
    ['unterminated front matter', { 'a.md': '---\nquestion: q\n\nanswer\n' }, ['a.md:1: front matter is not closed']],
    [
      'YAML syntax error on the 4th line',
      { 'a.md': '---\nquestion: q\ntags: [a]\nkeywords: [b]]\nmenu: 1\n---\nbody\n' },
      ['a.md:4: YAML syntax error'],
    ],
    ['duplicate YAML key', { 'a.md': '---\nquestion: q\nid: a\nquestion: again\n---\nbody\n' }, ['a.md:4: "question" is given twice: keep one']],
    // The parser notices an unclosed list or quote on a later line: the problem is where it opened.
    ['unclosed list', { 'a.md': '---\nquestion: q\nkeywords: [a, b\ntags: [x]\n---\nbody\n' }, ['a.md:3: "[" is not closed: end the list with "]"']],
    ['unclosed map', { 'a.md': '---\nquestion: q\nx: {a: 1\nid: y\n---\nbody\n' }, ['a.md:3: "{" is not closed: end the map with "}"']],
    ['unclosed quote', { 'a.md': '---\nid: a\nquestion: "退款\ntags: [x]\n---\nbody\n' }, ['a.md:3: a quote (") is not closed on its line']],
    ['tab indent', { 'a.md': '---\nquestion: q\nalternates:\n\t- b\n---\nbody\n' }, ['a.md:4: indent with spaces, not tabs']],
    ['": " inside a value', { 'a.md': '---\nquestion: 价格: 多少\n---\nbody\n' }, ['a.md:2: a value with ": " in it needs quotes']],
    ['full-width colon after a field name', { 'a.md': '---\nquestion：优惠券怎么用\nkeywords: [券]\n---\nbody\n' }, ['a.md:2: "question" needs an ASCII colon and a space']],
    ['full-width colon, the only line', { 'a.md': '---\nquestion：优惠券怎么用\n---\nbody\n' }, ['a.md:2: "question" needs an ASCII colon and a space']],
    ['no space after the colon', { 'a.md': '---\nquestion:怎么开发票\nkeywords: [发票]\n---\nbody\n' }, ['a.md:2: "question:" needs a space after the colon']],
    // A second "---" ends the front matter early: the fields below it would be sent to customers.
    [
      'a field below a stray "---"',
      { 'a.md': '---\nquestion: 还车失败怎么办\n---\nalternates: [锁不上车]\n---\n换个还车点。\n' },
      ['a.md:4: "alternates:" is in the answer: the front matter ended at line 3'],
    ],
    // A broken file still has its id: no false "unknown id" in the files that name it.
    [
      'related names a file whose YAML is broken',
      {
        'deposit.md': '---\nquestion: 押金怎么退\nid: deposit-refund\nkeywords: [押金\n---\nbody\n',
        'other.md': '---\nquestion: q\nrelated: [deposit-refund]\n---\nbody\n',
      },
      ['deposit.md:4: "[" is not closed'],
    ],
    ['list items not lined up', { 'a.md': '---\nquestion: q\nalternates:\n  - b\n - c\n---\nbody\n' }, ['a.md:5: this line is not lined up']],
    ['front matter not a mapping', { 'a.md': '---\n- question\n- q\n---\nbody\n' }, ['a.md:2: front matter must be']],
    ['missing question', { 'a.md': '---\nid: a\n---\nbody\n' }, ['a.md:1: "question" is required']],
    ['empty front matter', { 'a.md': '---\n---\nbody\n' }, ['a.md:1: "question" is required']],
    ['empty question', { 'a.md': '---\nid: a\nquestion: "  "\n---\nbody\n' }, ['a.md:3: "question" must not be empty']],
    ['question without a value', { 'a.md': '---\nid: a\nquestion:\n---\nbody\n' }, ['a.md:3: "question" must not be empty']],
    ['question not text', { 'a.md': '---\nquestion: [a, b]\n---\nbody\n' }, ['a.md:2: "question" must be text']],
    [
      'alternates not a list',
      { 'a.md': '---\nquestion: q\nalternates:\n  a: 1\n---\nbody\n' },
      ['a.md:3: "alternates" must be a list of non-empty strings'],
    ],
    [
      'alternates item not a string',
      { 'a.md': '---\nquestion: q\nalternates:\n  - fine\n  - [nested]\n  -\n---\nbody\n' },
      ['a.md:5: "alternates" item 2 must be text', 'a.md:6: "alternates" item 3 must not be empty'],
    ],
    ['alternates as a lone string', { 'a.md': '---\nquestion: q\nalternates: other\n---\nbody\n' }, ['a.md:3: "alternates" must be a list']],
    ['keywords not a list', { 'a.md': '---\nquestion: q\nkeywords: {a: 1}\n---\nbody\n' }, ['a.md:3: "keywords" must be a list']],
    [
      'keywords written as one comma-separated string',
      { 'a.md': '---\nquestion: q\nkeywords: 退款, 退钱\n---\nbody\n' },
      ['a.md:3: "keywords" item 1 contains a comma'],
    ],
    ['tags with an empty item', { 'a.md': '---\nquestion: q\ntags: [billing, ""]\n---\nbody\n' }, ['a.md:3: "tags" item 2 must not be empty']],
    ['related not a list', { 'a.md': '---\nquestion: q\nrelated: {b: 1}\n---\nbody\n', 'b.md': ok() }, ['a.md:3: "related" must be a list']],
    ['id with whitespace', { 'a.md': '---\nquestion: q\nid: my id\n---\nbody\n' }, ['a.md:3: "id" must not contain whitespace or "/"']],
    ['id with a slash', { 'a.md': '---\nquestion: q\n\nid: a/b\n---\nbody\n' }, ['a.md:4: "id" must not']],
    ['id from a file name with a space', { 'sub/my entry.md': ok() }, ['sub/my entry.md:1: id "my entry" from the file name']],
    ['menu zero', { 'a.md': '---\nquestion: q\nmenu: 0\n---\nbody\n' }, ['a.md:3: "menu" must be a positive integer']],
    ['menu fractional', { 'a.md': '---\nquestion: q\nmenu: 1.5\n---\nbody\n' }, ['a.md:3: "menu" must be a positive integer']],
    ['menu text', { 'a.md': '---\nquestion: q\nmenu: first\n---\nbody\n' }, ['a.md:3: "menu" must be a positive integer']],
    [
      'same menu number twice',
      { 'a.md': '---\nquestion: q\nmenu: 1\n---\nbody\n', 'b/c.md': '---\nquestion: q\ntags: [x]\nmenu: 1\n---\nbody\n' },
      ['a.md:3: menu 1 is used twice (also in b/c.md:4)', 'b/c.md:4: menu 1 is used twice (also in a.md:3)'],
    ],
    ['empty answer body', { 'a.md': '---\nquestion: q\n---\n\n   \n' }, ['a.md:4: answer is empty']],
    ['no body at all', { 'a.md': '---\nquestion: q\n---' }, ['a.md:4: answer is empty']],
    [
      'duplicate id across the tree',
      {
        'billing/refund.md': '---\nquestion: q\ntags: [a]\n\nid: refund\n---\nbody\n',
        'other.md': '---\nquestion: q\nid: refund\n---\nbody\n',
      },
      ['billing/refund.md:5: duplicate id "refund" (also in other.md:3)', 'other.md:3: duplicate id "refund" (also in billing/refund.md:5)'],
    ],
    [
      'duplicate id from file names',
      { 'a/refund.md': ok(), 'b/refund.md': ok() },
      ['a/refund.md:1: duplicate id "refund" (also in b/refund.md:1)', 'b/refund.md:1: duplicate id "refund" (also in a/refund.md:1)'],
    ],
    [
      'related names an unknown id',
      { 'a.md': '---\nquestion: q\nrelated:\n  - b\n  - nope\n---\nbody\n', 'b.md': ok() },
      ['a.md:5: "related" names unknown id "nope"'],
    ],
    ['related names itself', { 'a.md': '---\nquestion: q\nrelated: [a]\n---\nbody\n' }, ['a.md:3: "related" names the entry itself ("a")']],
    [
      'invalid UTF-8 on line 3',
      { 'a.md': Buffer.concat([Buffer.from('---\nquestion: 好\nid: '), Buffer.from([0xe5, 0x28]), Buffer.from('\n---\nbody\n')]) },
      ['a.md:3: not valid UTF-8'],
    ],
    [
      'related names a file that cannot be read as UTF-8',
      {
        'gbk.md': Buffer.concat([Buffer.from('---\nquestion: '), Buffer.from([0xb6, 0xa9, 0xb5, 0xa5]), Buffer.from('\n---\nbody\n')]),
        'other.md': '---\nquestion: q\nrelated: [gbk]\n---\nbody\n',
      },
      ['gbk.md:2: not valid UTF-8'],
    ],
    [
      'synonym group with one word',
      { '_synonyms.yml': '- [会员, VIP]\n- [退款]\n- [a, ""]\n' },
      ['_synonyms.yml:2: group 2 needs at least 2 different words', '_synonyms.yml:3: group 3 word 2 must not be empty'],
    ],
    ['synonyms not a list', { '_synonyms.yml': '# comment\n会员: VIP\n' }, ['_synonyms.yml:2: the file must be a list of synonym groups']],
    ['synonyms YAML error', { '_synonyms.yml': '- [a, b]\n- [c, d\n' }, ['_synonyms.yml:2: "[" is not closed']],
    ['words item not a string', { '_words.yml': '- 专业版\n- {a: 1}\n' }, ['_words.yml:2: word 2 must be text']],
    ['words file twice', { '_words.yml': '- a\n', '_words.yaml': '- b\n' }, ['_words.yaml:1: _words.yml exists too']],
  ];

  it.each(cases)('%s', async (_kind, files, expected) => {
    const { kb, problems } = await lint(files);
    expect(kb).toBeNull();
    expect(located(problems)).toHaveLength(expected.length);
    located(problems).forEach((p, i) => expect(p.startsWith(expected[i] ?? '?'), `${p}\n  expected: ${expected[i]}`).toBe(true));
  });

  it('reports a missing root directory as the directory itself (no line)', async () => {
    const missing = path.join(os.tmpdir(), `kefu-kb-missing-${process.pid}-${Date.now()}`);
    const { kb, problems } = await lintKnowledgeBase(missing);
    expect(kb).toBeNull();
    expect(problems.map(formatProblem)).toEqual([`knowledge base directory not found: ${missing}`]);
  });

  it('reports a file that cannot be read', async () => {
    const root = await makeTree({ 'real/x.md': ok() });
    await symlink(path.join(root, 'real'), path.join(root, 'folder.md'));
    const { problems } = await lintKnowledgeBase(root);
    expect(located(problems)).toEqual(['folder.md:1: cannot read file: EISDIR']);
  });

  it('does not call an id unknown when its file is merely broken', async () => {
    const { problems } = await lint({ 'a.md': '---\nquestion: q\nrelated: [b, c]\n---\nbody\n', 'b.md': '---\nquestion: q\n---\n', 'x/c.md': '---\nid: c\n---\nbody' });
    expect(located(problems)).toEqual(['b.md:4: answer is empty: write it below the closing "---"', 'x/c.md:1: "question" is required']);
  });

  it('loads nothing when any file has a problem, and reports all of them sorted', async () => {
    const { kb, problems } = await lint({
      'z.md': ok(),
      'b.md': '---\nquestion:\nmenu: -1\n---\n',
      'a.md': '---\nquestion: q\n---\nbody\n',
      'c.md': 'oops',
    });
    expect(kb).toBeNull();
    expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual(['b.md:2', 'b.md:3', 'b.md:5', 'c.md:1']);
  });

  it('loadKnowledgeBase throws KnowledgeBaseInvalidError with every problem', async () => {
    const root = await makeTree({ 'a.md': 'oops', 'b.md': '---\nquestion: q\n---\n' });
    const err = await loadKnowledgeBase(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KnowledgeBaseInvalidError);
    const invalid = err as KnowledgeBaseInvalidError;
    expect(invalid.code).toBe('KB_INVALID');
    expect(invalid.problems.map((p) => `${p.file}:${p.line}`)).toEqual(['a.md:1', 'b.md:4']);
    expect(invalid.message).toContain('a.md:1: missing front matter');
  });
});

describe('parseEntryFile', () => {
  it('parses one entry without touching the disk', () => {
    const { entry: e, problems } = parseEntryFile('faq/login.md', entry('question: 怎么登录\nkeywords: 登录\nmenu: 3'));
    expect(problems).toEqual([]);
    expect(e).toEqual({
      id: 'login',
      question: '怎么登录',
      alternates: [],
      keywords: ['登录'],
      tags: [],
      category: 'uncategorized',
      menu: 3,
      related: [],
      answer: 'Answer.',
      file: 'faq/login.md',
      extra: {},
    });
  });

  it('returns no entry and the problems sorted by line', () => {
    const result = parseEntryFile('a.md', '---\nquestion:\nmenu: 0\nalternates: x\n---\n');
    expect(result.entry).toBeUndefined();
    expect(result.problems.map((p) => p.line)).toEqual([2, 3, 4, 6]);
  });
});
