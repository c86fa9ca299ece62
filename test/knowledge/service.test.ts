import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KnowledgeBaseInvalidError } from '../../src/knowledge/errors.ts';
import { createKnowledgeService } from '../../src/knowledge/service.ts';
import type { KnowledgeService, KnowledgeServiceOptions } from '../../src/knowledge/service.ts';
import type { KbProblem, KnowledgeBase } from '../../src/knowledge/types.ts';
import { entry, makeTree, removeTrees, writeTree, type Tree } from '../support/kb-tree.ts';
import { waitFor } from '../support/waits.ts';

const NO_SOUND = entry(
  `
question: 录屏没有声音怎么办？
alternates:
  - 录出来的视频没声音
keywords: [没声音, 声音]
id: no-sound
`,
  '请在 **音频** 里打开系统声音和麦克风。',
);
const REFUND = (alternates: string[] = ['买错了想退钱']): string =>
  entry(
    `
question: 如何申请退款？
alternates:
${alternates.map((a) => `  - ${a}`).join('\n')}
keywords: [退款, 退钱]
id: refund
`,
    '7 天内可在 **我的 → 订单** 申请退款。',
  );
const EXPORT = entry('question: 怎么导出视频？\nkeywords: [导出]\nid: export', '点 **导出**。');

/** A question none of the entries above is about; an alternate added later makes it match. */
const NEW_QUESTION = '发票在哪里开';

const open: KnowledgeService[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await removeTrees();
});

const TREE: Tree = { 'no-sound.md': NO_SOUND, 'billing/refund.md': REFUND(), 'export.md': EXPORT };

async function start(files: Tree = TREE, opts: Partial<KnowledgeServiceOptions> = {}) {
  const root = await makeTree(files);
  const logs: Array<{ level: number; msg: string; module?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const reloaded: KnowledgeBase[] = [];
  const reported: KbProblem[][] = [];
  const service = await createKnowledgeService({
    dir: root,
    debounceMs: 30,
    logger,
    onReload: (kb) => reloaded.push(kb),
    onProblems: (p) => reported.push(p),
    ...opts,
  });
  open.push(service);
  return { root, service, logs, reloaded, reported, write: (f: Tree) => writeTree(root, f) };
}

/**
 * A second, watching service on `root` with start()'s debounce: its reload shows that an edit was
 * there to be seen, for tests of a service that must not see it.
 */
async function follow(root: string): Promise<KnowledgeService> {
  const witness = await createKnowledgeService({ dir: root, debounceMs: 30 });
  open.push(witness);
  return witness;
}

describe('createKnowledgeService', () => {
  it('loads the tree and matches questions', async () => {
    const { service, logs } = await start();
    expect(service.problems()).toEqual([]);
    expect(service.matcher().kb.entries.map((e) => e.id).sort()).toEqual(['export', 'no-sound', 'refund']);
    expect(service.match('录屏没有声音怎么办')).toMatchObject({ decision: 'answer', id: 'no-sound' });
    expect(service.match('今天天气怎么样').decision).not.toBe('answer');
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'knowledge base loaded', module: 'knowledge' }));
  });

  it('passes threshold overrides to the matcher, also after a reload', async () => {
    const t = await start(undefined, { thresholds: { answer: 0.97, suggest: 0.5 } });
    expect(t.service.matcher().thresholds).toEqual({ answer: 0.97, suggest: 0.5 });
    await t.write({ 'export.md': entry('question: 怎么导出 MP4？\nid: export') });
    await waitFor(() => t.reloaded.length > 0);
    expect(t.service.matcher().thresholds).toEqual({ answer: 0.97, suggest: 0.5 });
  });

  it('applies an edit to alternates without restart', async () => {
    const t = await start();
    const before = t.service.match(NEW_QUESTION);
    expect(before.decision === 'answer' && before.id === 'refund').toBe(false);

    await t.write({ 'billing/refund.md': REFUND(['买错了想退钱', NEW_QUESTION]) });
    await waitFor(() => {
      const r = t.service.match(NEW_QUESTION);
      return r.decision === 'answer' && r.id === 'refund';
    });
    expect(t.service.matcher().entry('refund')?.alternates).toContain(NEW_QUESTION);
    expect(t.reloaded.at(-1)?.entries.find((e) => e.id === 'refund')?.alternates).toContain(NEW_QUESTION);
    expect(t.service.problems()).toEqual([]);
  });

  it('logs each reload once', async () => {
    const t = await start();
    await t.write({ 'export.md': entry('question: 怎么导出 MP4？\nid: export') });
    await waitFor(() => t.reloaded.length === 1);
    expect(t.logs.filter((l) => l.msg === 'knowledge base reloaded')).toHaveLength(1);
    // A second edit: once it is applied, any late reload of the first would have come before it.
    await t.write({ 'new.md': entry('question: 新问题\nid: new') });
    await waitFor(() => t.service.matcher().entry('new') !== undefined);
    expect(t.reloaded).toHaveLength(2);
    expect(t.logs.filter((l) => l.msg === 'knowledge base reloaded')).toHaveLength(2);
  });

  it('keeps serving the last good version through a broken edit, then applies the fix', async () => {
    const t = await start();
    const good = t.service.matcher();

    await t.write({ 'billing/refund.md': `---\nquestion: 如何申请退款？\nalternates:\n  - [${NEW_QUESTION}\nid: refund\n---\nbody\n` });
    await waitFor(() => t.service.problems().length > 0);
    expect(t.service.problems()).toEqual([
      { file: 'billing/refund.md', line: 4, message: '"[" is not closed: end the list with "]" on the same line' },
    ]);
    expect(t.reported.at(-1)).toEqual(t.service.problems());
    expect(t.service.matcher()).toBe(good);
    expect(t.service.match('录屏没有声音怎么办')).toMatchObject({ decision: 'answer', id: 'no-sound' });
    expect(t.service.matcher().entry('refund')?.question).toBe('如何申请退款？');
    expect(await t.service.reload()).toBe(false);

    // A second kind of problem: a question removed from another file.
    await t.write({ 'export.md': entry('id: export') });
    await waitFor(() => t.service.problems().some((p) => p.file === 'export.md'));
    expect(t.service.problems().map((p) => p.file)).toEqual(['billing/refund.md', 'export.md']);
    expect(t.service.matcher()).toBe(good);

    await t.write({ 'billing/refund.md': REFUND(['买错了想退钱', NEW_QUESTION]), 'export.md': EXPORT });
    await waitFor(() => t.service.problems().length === 0 && t.service.matcher() !== good);
    expect(t.service.matcher().entry('refund')?.alternates).toContain(NEW_QUESTION);
  });

  it('refuses to start on a broken tree, naming the problems', async () => {
    const root = await makeTree({ 'a.md': entry('id: a'), 'b.md': entry('question: b') });
    const err = await createKnowledgeService({ dir: root, watch: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KnowledgeBaseInvalidError);
    expect((err as KnowledgeBaseInvalidError).problems).toEqual([
      { file: 'a.md', line: expect.any(Number), message: expect.stringContaining('question') },
    ]);
  });

  it('with watch: false ignores edits until reload() is called', async () => {
    const t = await start(undefined, { watch: false });
    const witness = await follow(t.root);
    const first = t.service.matcher();
    await t.write({ 'billing/refund.md': REFUND(['买错了想退钱', NEW_QUESTION]), 'new.md': entry('question: 新问题\nid: new') });
    // A watching service on the same tree has seen the edit and reloaded (same debounce).
    await waitFor(() => witness.matcher().entry('new') !== undefined);
    expect(t.service.matcher()).toBe(first);
    expect(t.service.matcher().entry('new')).toBeUndefined();
    expect(t.reloaded).toEqual([]);

    expect(await t.service.reload()).toBe(true);
    expect(t.service.matcher().entry('new')?.question).toBe('新问题');
    expect(t.service.matcher().entry('refund')?.alternates).toContain(NEW_QUESTION);
  });

  it('stops following edits after close()', async () => {
    const t = await start();
    const witness = await follow(t.root);
    const first = t.service.matcher();
    await t.service.close();
    await t.write({ 'new.md': entry('question: 新问题\nid: new') });
    // A watching service on the same tree has seen the edit and reloaded (same debounce).
    await waitFor(() => witness.matcher().entry('new') !== undefined);
    expect(t.service.matcher()).toBe(first);
    expect(t.reloaded).toEqual([]);
    // Still answers from what it had.
    expect(t.service.match('录屏没有声音怎么办')).toMatchObject({ decision: 'answer', id: 'no-sound' });
    await expect(t.service.close()).resolves.toBeUndefined();
  });
});
