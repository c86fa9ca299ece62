/**
 * Editing FAQ files from the console (src/knowledge/edit.ts): an alternate is one added line (the
 * rest of the file byte for byte: comments, quoting, unknown fields, the body, CRLF and BOM), the
 * menu order touches only `menu:` lines, a new entry is a lintable file in the documented format,
 * and a change that would break the knowledge base is rolled back. Always on temp copies, never
 * the product's knowledge-base/.
 */
import { cp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  addAlternate,
  applyKbEdits,
  createEntry,
  createKnowledgeService,
  groupGaps,
  KbEditError,
  lintKnowledgeBase,
  setMenuOrder,
  type KnowledgeService,
} from '../../src/knowledge/index.ts';
import { makeTree, removeTrees } from '../support/kb-tree.ts';
import { waitFor } from '../support/waits.ts';

const PRODUCT_KB = path.resolve(import.meta.dirname, '../../knowledge-base');

/** A hand-written file with everything an editor may do: comments, both quote styles, extra fields, a trailing-space body. */
const REFUND = [
  '---',
  '# 退款：编辑备注，别删',
  'question: 会员可以退款吗？',
  'alternates:',
  '  - 买错了想退钱   # 来自 5 月的聊天记录',
  "  - '怎么申请退款'",
  '  # 以后再补',
  'keywords: [退款, 退钱]',
  'tags: [billing, refund]',
  'id: refund',
  'menu: 2',
  'owner: 小王',
  'related: [invoice]',
  '---',
  '首次开通会员 **7 天内** 可以申请退款。  ',
  '',
  '* 在 **我的 → 订单** 里提交',
  '',
].join('\n');

const INVOICE = '---\nquestion: 可以开发票吗？\nalternates:\n  - 怎么开发票\n  - 报销要发票\nkeywords: [发票]\ntags: [billing]\nid: invoice\nmenu: 1\n---\n在 **我的 → 订单** 点 **申请开票**。\n';
/** No alternates at all, no menu. */
const NO_SOUND = '---\nquestion: 录屏没有声音怎么办？\nkeywords: [声音]\ntags: [recording]\n---\n打开 **设置 → 音频**。\n';
/** A flow list, double quotes. */
const EXPORT = '---\nquestion: 能导出哪些格式？\nalternates: [能导出gif吗, "导出 MP4"]\ntags: [export]\nid: export-formats\nmenu: 3\n---\nMP4、GIF 都可以。\n';
/** Windows line endings and a BOM. */
const LAG = '\uFEFF---\r\nquestion: 录屏很卡怎么办？\r\nalternates:\r\n  - 录出来一卡一卡的\r\nid: recording-lag\r\n---\r\n降低帧率。\r\n';

const TREE = {
  'billing/refund.md': REFUND,
  'billing/invoice.md': INVOICE,
  'recording/no-sound.md': NO_SOUND,
  'export/export-formats.md': EXPORT,
  'recording/recording-lag.md': LAG,
  'README.md': '# notes\n',
};

const open: KnowledgeService[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((k) => k.close()));
  await removeTrees();
});

const read = (root: string, file: string) => readFile(path.join(root, file), 'utf8');

/** The lines of `after` that are not in `before` and the other way round (a line diff by LCS). */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const added: string[] = [];
  const removed: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) [i, j] = [i + 1, j + 1];
    else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) added.push(b[j++]!);
    else removed.push(a[i++]!);
  }
  return { added, removed };
}

async function refused(p: Promise<unknown>, code: string, message?: RegExp): Promise<KbEditError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KbEditError);
  expect((err as KbEditError).code).toBe(code);
  if (message) expect((err as KbEditError).message).toMatch(message);
  return err as KbEditError;
}

/** Every file of the tree with its content. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const d of await readdir(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(child);
      else out[child] = await read(root, child);
    }
  };
  await walk('');
  return out;
}

describe('addAlternate', () => {
  it('adds exactly one line after the last alternate, in its quoting style; comments, fields and body stay byte for byte', async () => {
    const root = await makeTree(TREE);
    const result = await addAlternate(root, 'refund', '你们支持 Linux 吗');
    expect(result).toEqual({ id: 'refund', file: 'billing/refund.md', alternates: ['买错了想退钱', '怎么申请退款', '你们支持 Linux 吗'] });
    const after = await read(root, 'billing/refund.md');
    const before = REFUND.split('\n');
    // The same lines with one inserted after "'怎么申请退款'" (before the list's trailing comment).
    expect(after.split('\n')).toEqual([...before.slice(0, 6), "  - '你们支持 Linux 吗'", ...before.slice(6)]);
    expect(lineDiff(REFUND, after)).toEqual({ added: ["  - '你们支持 Linux 吗'"], removed: [] });
    // Nothing else in the tree changed.
    const others = await snapshot(root);
    for (const [file, content] of Object.entries(TREE)) if (file !== 'billing/refund.md') expect(others[file]).toBe(content);
  });

  it('in a flow list it extends the one line; quoting follows the neighbours and YAML\'s rules', async () => {
    const root = await makeTree(TREE);
    await addAlternate(root, 'export-formats', '能导出成 gif: 动图, 行吗');
    const after = await read(root, 'export/export-formats.md');
    expect(lineDiff(EXPORT, after)).toEqual({
      removed: ['alternates: [能导出gif吗, "导出 MP4"]'],
      added: ['alternates: [能导出gif吗, "导出 MP4", "能导出成 gif: 动图, 行吗"]'],
    });
    // A plain-looking number stays text.
    await addAlternate(root, 'refund', '618');
    expect(lineDiff(REFUND, await read(root, 'billing/refund.md')).added).toEqual(["  - '618'"]);
    const { kb } = await lintKnowledgeBase(root);
    expect(kb!.entries.find((e) => e.id === 'refund')!.alternates).toContain('618');
  });

  it('creates the list right after the question when the entry has none', async () => {
    const root = await makeTree(TREE);
    const result = await addAlternate(root, 'no-sound', '录出来没声音');
    expect(result.alternates).toEqual(['录出来没声音']);
    const after = await read(root, 'recording/no-sound.md');
    expect(after).toBe('---\nquestion: 录屏没有声音怎么办？\nalternates:\n  - 录出来没声音\nkeywords: [声音]\ntags: [recording]\n---\n打开 **设置 → 音频**。\n');
    // An empty `alternates:` gets its first item on the next line.
    await writeFile(path.join(root, 'recording/no-sound.md'), NO_SOUND.replace('keywords', 'alternates:\nkeywords'));
    await addAlternate(root, 'no-sound', '没声音');
    expect(await read(root, 'recording/no-sound.md')).toContain('alternates:\n  - 没声音\nkeywords');
  });

  it('keeps CRLF line endings and the BOM', async () => {
    const root = await makeTree(TREE);
    await addAlternate(root, 'recording-lag', '录屏掉帧');
    expect(await read(root, 'recording/recording-lag.md')).toBe(LAG.replace('一卡一卡的\r\n', '一卡一卡的\r\n  - 录屏掉帧\r\n'));
  });

  it('refuses a phrasing the entry or another entry has (normalized), bad text and unknown ids; the file stays as it was', async () => {
    const root = await makeTree(TREE);
    await refused(addAlternate(root, 'refund', '会员可以退款吗'), 'CONFLICT', /the question of "refund"/);
    await refused(addAlternate(root, 'refund', ' 买错了 想退钱！'), 'CONFLICT', /an alternate of "refund"/);
    await refused(addAlternate(root, 'refund', '怎么开发票'), 'CONFLICT', /"invoice" \(billing\/invoice\.md\)/);
    await refused(addAlternate(root, 'refund', '   '), 'INVALID', /empty/);
    await refused(addAlternate(root, 'refund', '第一行\n第二行'), 'INVALID', /one line/);
    await refused(addAlternate(root, 'refund', '退'.repeat(201)), 'INVALID', /200/);
    await refused(addAlternate(root, 'refund', '？！'), 'INVALID', /no words/);
    await refused(addAlternate(root, 'nope', '随便问问'), 'NOT_FOUND', /"nope"/);
    // 200 characters is fine.
    await addAlternate(root, 'invoice', '票'.repeat(200));
    expect(await read(root, 'billing/refund.md')).toBe(REFUND);
  });

  it('two edits at once both land (edits are serialized)', async () => {
    const root = await makeTree(TREE);
    await Promise.all([addAlternate(root, 'invoice', '发票抬头写错了'), addAlternate(root, 'invoice', '能开专票吗')]);
    const { added, removed } = lineDiff(INVOICE, await read(root, 'billing/invoice.md'));
    expect(removed).toEqual([]);
    expect(added.sort()).toEqual(['  - 发票抬头写错了', '  - 能开专票吗'].sort());
  });

  it('the next question matches the new alternate once the service reloads (a copy of the product FAQ)', async () => {
    const root = await makeTree();
    await cp(PRODUCT_KB, root, { recursive: true });
    const knowledge = await createKnowledgeService({ dir: root, watch: false });
    open.push(knowledge);
    const question = '录屏的时候电脑风扇狂转';
    expect(knowledge.match(question).decision).not.toBe('answer');
    const before = await read(root, 'recording/recording-lag.md');
    await addAlternate(root, 'recording-lag', question);
    expect(lineDiff(before, await read(root, 'recording/recording-lag.md'))).toEqual({ added: [`  - ${question}`], removed: [] });
    expect(await knowledge.reload()).toBe(true);
    expect(knowledge.match(question)).toMatchObject({ decision: 'answer', id: 'recording-lag' });
  });

  it('the watcher picks the change up by itself (hot reload)', async () => {
    const root = await makeTree(TREE);
    const knowledge = await createKnowledgeService({ dir: root, debounceMs: 50 });
    open.push(knowledge);
    await addAlternate(root, 'invoice', '公司报销需要的票据');
    await waitFor('the reload', () => knowledge.matcher().kb.entries.find((e) => e.id === 'invoice')!.alternates.includes('公司报销需要的票据'));
    expect(knowledge.problems()).toEqual([]);
  });
});

describe('setMenuOrder', () => {
  it('sets menu 1..n on the listed entries, removes it from the others, touching only menu lines', async () => {
    const root = await makeTree(TREE);
    const menu = await setMenuOrder(root, ['no-sound', 'refund', 'recording-lag']);
    expect(menu).toEqual([
      { id: 'no-sound', question: '录屏没有声音怎么办？', menu: 1 },
      { id: 'refund', question: '会员可以退款吗？', menu: 2 },
      { id: 'recording-lag', question: '录屏很卡怎么办？', menu: 3 },
    ]);
    const after = await snapshot(root);
    // refund keeps menu 2 (untouched file); invoice and export-formats lose theirs.
    expect(after['billing/refund.md']).toBe(REFUND);
    expect(lineDiff(INVOICE, after['billing/invoice.md']!)).toEqual({ added: [], removed: ['menu: 1'] });
    expect(lineDiff(EXPORT, after['export/export-formats.md']!)).toEqual({ added: [], removed: ['menu: 3'] });
    expect(lineDiff(NO_SOUND, after['recording/no-sound.md']!)).toEqual({ added: ['menu: 1'], removed: [] });
    // With an id, the menu line goes right after it; CRLF kept.
    expect(after['recording/recording-lag.md']).toBe(LAG.replace('id: recording-lag\r\n', 'id: recording-lag\r\nmenu: 3\r\n'));

    await setMenuOrder(root, ['refund', 'no-sound']);
    expect(lineDiff(REFUND, await read(root, 'billing/refund.md'))).toEqual({ added: ['menu: 1'], removed: ['menu: 2'] });
    const { kb } = await lintKnowledgeBase(root);
    expect(kb!.entries.filter((e) => e.menu !== undefined).map((e) => [e.id, e.menu])).toEqual([
      ['refund', 1],
      ['no-sound', 2],
    ]);
  });

  it('an empty list clears the menu; bad lists are refused', async () => {
    const root = await makeTree(TREE);
    await refused(setMenuOrder(root, Array.from({ length: 11 }, (_, i) => `e${i}`)), 'INVALID', /at most 10/);
    await refused(setMenuOrder(root, ['refund', 'refund']), 'INVALID', /twice/);
    await refused(setMenuOrder(root, ['refund', 'nope']), 'NOT_FOUND', /"nope"/);
    expect(await snapshot(root)).toEqual(TREE);
    expect(await setMenuOrder(root, [])).toEqual([]);
    const { kb } = await lintKnowledgeBase(root);
    expect(kb!.entries.some((e) => e.menu !== undefined)).toBe(false);
  });
});

describe('createEntry', () => {
  it('writes <category>/<id>.md in the documented format; it lints and matches', async () => {
    const root = await makeTree(TREE);
    const created = await createEntry(root, {
      id: 'linux-support',
      question: '支持 Linux 吗？',
      alternates: ['有没有 Linux 版', '有没有linux版', 'ubuntu 能用吗'],
      category: 'device',
      answer: '目前只支持 **Windows** 和 **macOS**。\r\n\r\nLinux 版还在计划中。\n\n',
    });
    expect(created).toEqual({ id: 'linux-support', file: 'device/linux-support.md' });
    expect(await read(root, 'device/linux-support.md')).toBe(
      '---\nquestion: 支持 Linux 吗？\nalternates:\n  - 有没有 Linux 版\n  - ubuntu 能用吗\ntags: [device]\nid: linux-support\n---\n目前只支持 **Windows** 和 **macOS**。\n\nLinux 版还在计划中。\n',
    );
    const { kb, problems } = await lintKnowledgeBase(root);
    expect(problems).toEqual([]);
    expect(kb!.entries.find((e) => e.id === 'linux-support')).toMatchObject({ category: 'device', alternates: ['有没有 Linux 版', 'ubuntu 能用吗'] });
    const knowledge = await createKnowledgeService({ dir: root, watch: false });
    open.push(knowledge);
    expect(knowledge.match('有没有 Linux 版')).toMatchObject({ decision: 'answer', id: 'linux-support' });
  });

  it('refuses a taken id, an existing file, a bad id or category, an empty answer and phrasings of other entries', async () => {
    const root = await makeTree(TREE);
    const ok = { id: 'new-one', question: '新问题怎么办', category: 'misc', answer: '这样办。' };
    await refused(createEntry(root, { ...ok, id: 'refund' }), 'CONFLICT', /taken by billing\/refund\.md/);
    await refused(createEntry(root, { ...ok, id: 'refund', category: 'other' }), 'CONFLICT');
    // recording/no-sound.md has no id line: its id is the file name, taken too.
    await refused(createEntry(root, { ...ok, id: 'no-sound', category: 'recording' }), 'CONFLICT', /taken/);
    await refused(createEntry(root, { ...ok, id: 'New One' }), 'INVALID', /kebab-case/);
    await refused(createEntry(root, { ...ok, id: 'a--b' }), 'INVALID', /kebab-case/);
    await refused(createEntry(root, { ...ok, category: '../up' }), 'INVALID', /kebab-case/);
    await refused(createEntry(root, { ...ok, answer: ' \n ' }), 'INVALID', /answer is empty/);
    await refused(createEntry(root, { ...ok, question: '可以开发票吗' }), 'CONFLICT', /"invoice"/);
    await refused(createEntry(root, { ...ok, alternates: ['怎么申请退款'] }), 'CONFLICT', /"refund"/);
    expect(await stat(path.join(root, 'misc')).catch(() => null)).toBeNull();
    // A file at the path whose entry has another id.
    await writeFile(path.join(root, 'billing', 'new-one.md'), '---\nquestion: 另一个问题\nid: another\n---\n答\n');
    await refused(createEntry(root, { ...ok, category: 'billing' }), 'CONFLICT', /billing\/new-one\.md exists already/);
  });
});

describe('never a broken FAQ', () => {
  it('a change that would not lint is rolled back: changed files restored byte for byte, created files and folders removed', async () => {
    const root = await makeTree(TREE);
    const err = await refused(
      applyKbEdits(root, [
        { file: 'billing/invoice.md', content: INVOICE.replace('menu: 1', 'menu: 7'), expected: INVOICE },
        // A second entry with the id "refund".
        { file: 'new/dup.md', content: '---\nquestion: 重复的条目\nid: refund\n---\n答案\n', expected: null },
      ]),
      'KB_INVALID',
      /duplicate id "refund"/,
    );
    expect(err.problems.map((p) => p.file)).toContain('new/dup.md');
    expect(await snapshot(root)).toEqual(TREE);
    expect(await stat(path.join(root, 'new')).catch(() => null)).toBeNull();
  });

  it('a broken file does not block edits of the others, which may not add a problem; its own entry is not edited', async () => {
    const BROKEN = '---\nquestion: ""\n---\n答案\n';
    const root = await makeTree({ ...TREE, 'billing/broken.md': BROKEN });
    // One editor's typo does not stop the others: the change lands (the tree still has that one problem).
    const added = await addAlternate(root, 'refund', '新问法');
    expect(added.alternates).toContain('新问法');
    expect(lineDiff(REFUND, await read(root, 'billing/refund.md')).added).toEqual(["  - '新问法'"]);
    expect(await setMenuOrder(root, ['refund'])).toEqual([{ id: 'refund', question: expect.any(String), menu: 1 }]);
    await createEntry(root, { id: 'new-one', question: '一个新问题', category: 'billing', answer: '新答案' });
    expect((await lintKnowledgeBase(root)).problems.map((p) => p.file)).toEqual(['billing/broken.md']);
    // A change that adds a problem is still refused, and only the new problem is named.
    const dup = await refused(
      applyKbEdits(root, [{ file: 'new/dup.md', content: '---\nquestion: 重复\nid: refund\n---\n答\n', expected: null }], (await lintKnowledgeBase(root)).problems),
      'KB_INVALID',
      /duplicate id "refund"/,
    );
    expect(dup.problems.map((p) => p.file)).toContain('new/dup.md');
    expect(dup.problems.map((p) => p.file)).not.toContain('billing/broken.md');
    expect(await stat(path.join(root, 'new')).catch(() => null)).toBeNull();
    // The broken file's entry does not load: refused, naming the file, which stays as the editor left it.
    await refused(addAlternate(root, 'broken', '别的问法'), 'KB_INVALID', /no entry "broken" loads[\s\S]*broken\.md:2/);
    expect(await read(root, 'billing/broken.md')).toBe(BROKEN);
  });

  it('a file changed meanwhile refuses the change', async () => {
    const fine = await makeTree(TREE);
    await refused(applyKbEdits(fine, [{ file: 'billing/refund.md', content: 'x', expected: 'not what is on disk' }]), 'CONFLICT', /changed on disk/);
    expect(await read(fine, 'billing/refund.md')).toBe(REFUND);
  });

  it('leaves no temp files behind', async () => {
    const root = await makeTree(TREE);
    await addAlternate(root, 'refund', '退款多久到账');
    await setMenuOrder(root, ['refund']);
    await createEntry(root, { id: 'x-y', question: '新的', category: 'billing', answer: '答' });
    expect(Object.keys(await snapshot(root)).filter((f) => path.basename(f).startsWith('.'))).toEqual([]);
  });
});

describe('groupGaps', () => {
  it('groups similar questions with counts, reasons, newest examples first and the closest entry', async () => {
    const root = await makeTree(TREE);
    const knowledge = await createKnowledgeService({ dir: root, watch: false });
    open.push(knowledge);
    const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 2, 0, s)).toISOString();
    const gaps = [
      { text: '能导出 GIF 吗', reason: 'unanswered' as const, at: at(1), conv: 'a.c1' },
      { text: '怎么导出gif动图', reason: 'unanswered' as const, at: at(2), conv: 'a.c2' },
      { text: '能导出GIF吗', reason: 'not_helpful' as const, at: at(3), conv: 'a.c3', faqId: 'export-formats' },
      { text: '你们支持 Linux 吗', reason: 'unanswered' as const, at: at(4), conv: 'a.c4' },
      { text: 'Linux 能用吗', reason: 'unanswered' as const, at: at(5), conv: 'a.c5' },
      { text: '', reason: 'unanswered' as const, at: at(6), conv: 'a.c6' },
    ];
    const groups = groupGaps(gaps, knowledge.matcher());
    expect(groups.map((g) => [g.label, g.count])).toEqual([
      ['能导出GIF吗', 3],
      ['Linux 能用吗', 2],
    ]);
    const [gif, linux] = groups;
    expect(gif!.examples.map((e) => [e.text, e.count, e.conv])).toEqual([
      ['能导出GIF吗', 2, 'a.c3'],
      ['怎么导出gif动图', 1, 'a.c2'],
    ]);
    expect(gif).toMatchObject({ reasons: { unanswered: 2, not_helpful: 1 }, notHelpful: [{ id: 'export-formats', count: 1 }], lastAt: at(3) });
    expect(gif!.suggested).toMatchObject({ id: 'export-formats', question: '能导出哪些格式？' });
    expect(linux!.examples.map((e) => e.text)).toEqual(['Linux 能用吗', '你们支持 Linux 吗']);
    expect(groupGaps([], knowledge.matcher())).toEqual([]);
  });

  it('one customer asking once is one question, however many ways the bot failed it ("did you mean" not picked, then 都不是)', async () => {
    const root = await makeTree(TREE);
    const knowledge = await createKnowledgeService({ dir: root, watch: false });
    open.push(knowledge);
    const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 2, 0, s)).toISOString();
    const groups = groupGaps(
      [
        { text: '录制问题', reason: 'suggested' as const, at: at(1), conv: 'a.c1' },
        { text: '录制问题', reason: 'unanswered' as const, at: at(2), conv: 'a.c1' },
        { text: '录制问题', reason: 'unanswered' as const, at: at(3), conv: 'a.c2' },
        { text: '录制问题', reason: 'unanswered' as const, at: at(0) },
      ],
      knowledge.matcher(),
    );
    expect(groups.map((g) => [g.label, g.count])).toEqual([['录制问题', 3]]);
    expect(groups[0]!.reasons).toMatchObject({ suggested: 1, unanswered: 3 });
    expect(groups[0]!.examples[0]).toMatchObject({ count: 3, conv: 'a.c2' });
  });

  it('a few thousand gaps: grouped without the matcher, which is asked once per group returned', async () => {
    // (How long grouping takes: npm run bench:kb.)
    const root = await makeTree(TREE);
    const knowledge = await createKnowledgeService({ dir: root, watch: false });
    open.push(knowledge);
    const words = ['导出', '声音', '发票', '退款', '会员', '卡顿', '水印', '登录', '摄像头', '字幕', 'linux', 'mac', '崩溃', '找不到', '格式'];
    const gaps = Array.from({ length: 3000 }, (_, i) => ({
      text: `${words[i % words.length]}${words[(i * 7) % words.length]}怎么办${i % 40}`,
      reason: 'unanswered' as const,
      at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    }));
    const matcher = knowledge.matcher();
    const match = vi.spyOn(matcher, 'match');
    const groups = groupGaps(gaps, matcher, { limit: 200 });
    // Only the groups shown get a suggestion; the thousands of gaps are grouped by their features.
    expect(groups.length).toBeLessThanOrEqual(200);
    expect(match).toHaveBeenCalledTimes(groups.length);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBeLessThanOrEqual(3000);
    expect(groups.length).toBeGreaterThan(0);
    for (let i = 1; i < groups.length; i++) expect(groups[i - 1]!.count).toBeGreaterThanOrEqual(groups[i]!.count);
  });
});
