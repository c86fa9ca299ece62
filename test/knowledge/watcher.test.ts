import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KnowledgeBaseInvalidError } from '../../src/knowledge/errors.ts';
import type { KbProblem, KnowledgeBase } from '../../src/knowledge/types.ts';
import { watchKnowledgeBase } from '../../src/knowledge/watcher.ts';
import type { KnowledgeWatcher } from '../../src/knowledge/watcher.ts';
import { entry, makeTree, removeTrees, writeTree, type Tree } from '../support/kb-tree.ts';
import { waitFor } from '../support/waits.ts';

/** The compiled value under test: "id=question" of every entry, plus the word list. */
const summarize = (kb: KnowledgeBase): string =>
  [...kb.entries.map((e) => `${e.id}=${e.question}`), ...kb.extras.words.map((w) => `+${w}`)].join(' ');

const open: KnowledgeWatcher<unknown>[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
  await removeTrees();
});

async function start(files: Tree, build: (kb: KnowledgeBase) => string = summarize) {
  const root = await makeTree(files);
  const logs: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const reported: KbProblem[][] = [];
  const reloaded: string[] = [];
  let builds = 0;
  const watcher = await watchKnowledgeBase(root, {
    build: (kb) => {
      builds++;
      return build(kb);
    },
    debounceMs: 50,
    logger,
    onReload: (value) => reloaded.push(value),
    onProblems: (problems) => reported.push(problems),
  });
  open.push(watcher);
  const write = (files: Tree) => writeTree(root, files);
  return { root, watcher, logs, reported, reloaded, write, builds: () => builds };
}

describe('watchKnowledgeBase', () => {
  it('serves the initial load and applies a good edit without restart', async () => {
    const t = await start({ 'a.md': entry('question: old') });
    expect(t.watcher.current()).toBe('a=old');
    expect(t.watcher.problems()).toEqual([]);

    await t.write({ 'a.md': entry('question: new') });
    await waitFor(() => t.watcher.current() === 'a=new');
    expect(t.reloaded).toEqual(['a=new']);
  });

  it('reports a broken edit, keeps serving the last good value, then applies the fix', async () => {
    const t = await start({ 'a.md': entry('question: old'), 'b.md': entry('question: b') });

    await t.write({ 'a.md': '---\nquestion: broken\n\nkeywords: [x]]\n---\nbody\n' });
    await waitFor(() => t.watcher.problems().length > 0);
    expect(t.watcher.current()).toBe('a=old b=b');
    expect(t.watcher.problems()).toEqual([{ file: 'a.md', line: 4, message: expect.stringContaining('YAML syntax error') }]);
    expect(t.reported.at(-1)).toEqual(t.watcher.problems());
    const warnings = t.logs.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toContainEqual(expect.stringMatching(/^a\.md:4: YAML syntax error/));

    await t.write({ 'a.md': entry('question: fixed') });
    await waitFor(() => t.watcher.current() === 'a=fixed b=b');
    expect(t.watcher.problems()).toEqual([]);
  });

  it('picks up added and deleted files, folders and renames', async () => {
    const t = await start({ 'a.md': entry('question: a') });

    await t.write({ 'faq/b.md': entry('question: b') });
    await waitFor(() => t.watcher.current() === 'a=a b=b');

    await rename(path.join(t.root, 'faq'), path.join(t.root, 'help'));
    await t.write({ 'help/c.md': entry('question: c') });
    await waitFor(() => t.watcher.current() === 'a=a b=b c=c');

    await rm(path.join(t.root, 'a.md'));
    await waitFor(() => t.watcher.current() === 'b=b c=c');

    await rm(path.join(t.root, 'help'), { recursive: true });
    await waitFor(() => t.watcher.current() === '');
  });

  it('reloads when an extras file changes', async () => {
    const t = await start({ 'a.md': entry('question: a') });
    await t.write({ '_words.yml': '- 专业版\n' });
    await waitFor(() => t.watcher.current() === 'a=a +专业版');

    await t.write({ '_words.yml': '- {not: a word}\n' });
    await waitFor(() => t.watcher.problems()[0]?.file === '_words.yml');
    expect(t.watcher.current()).toBe('a=a +专业版');
  });

  it('turns a burst of writes into one (or very few) builds', async () => {
    const t = await start({ 'a.md': entry('question: v0') });
    for (let i = 1; i <= 20; i++) await writeFile(path.join(t.root, 'a.md'), entry(`question: v${i}`));
    await waitFor(() => t.watcher.current() === 'a=v20');
    const burst = t.builds() - 1;
    // One more edit: its events come after any straggler of the burst, so once it is applied every
    // build the burst caused has run (a straggler may share this edit's build, never add one after).
    await writeFile(path.join(t.root, 'b.md'), entry('question: b'));
    await waitFor(() => t.watcher.current() === 'a=v20 b=b');
    expect(burst).toBeGreaterThanOrEqual(1);
    expect(t.builds() - 1 - 1).toBeLessThanOrEqual(3);
  });

  it('never runs two reloads at once: requests during a reload share one follow-up', async () => {
    const t = await start({ 'a.md': entry('question: a') });
    const results = await Promise.all([t.watcher.reload(), t.watcher.reload(), t.watcher.reload()]);
    expect(results).toEqual([true, true, true]);
    expect(t.builds()).toBe(3); // initial, the first reload, one shared follow-up
  });

  it('treats a failing build as a problem and keeps the last good value', async () => {
    const t = await start({ 'a.md': entry('question: a') }, (kb) => {
      if (kb.entries.some((e) => e.question === 'explode')) throw new Error('matcher exploded');
      return summarize(kb);
    });
    await t.write({ 'a.md': entry('question: explode') });
    await waitFor(() => t.watcher.problems().length > 0);
    expect(t.watcher.problems()).toEqual([{ file: '.', line: 1, message: 'build failed: matcher exploded' }]);
    expect(t.watcher.current()).toBe('a=a');
    expect(await t.watcher.reload()).toBe(false);
  });

  it('stops watching after close()', async () => {
    const t = await start({ 'a.md': entry('question: a') });
    // A second watcher on the same tree, still open: its reload shows the edit was there to be seen.
    const witness = await watchKnowledgeBase(t.root, { build: summarize, debounceMs: 50 });
    open.push(witness);
    await t.watcher.close();
    await t.write({ 'a.md': entry('question: changed'), 'b.md': entry('question: b') });
    await waitFor(() => witness.current() === 'a=changed b=b');
    expect(t.watcher.current()).toBe('a=a');
    expect(t.builds()).toBe(1);
    expect(await t.watcher.reload()).toBe(false);
  });

  it('throws KnowledgeBaseInvalidError when the tree is broken at start', async () => {
    const root = await makeTree({ 'a.md': 'no front matter' });
    const err = await watchKnowledgeBase(root, { build: summarize }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KnowledgeBaseInvalidError);
    expect((err as KnowledgeBaseInvalidError).problems).toEqual([
      { file: 'a.md', line: 1, message: expect.stringContaining('missing front matter') },
    ]);
  });

  it('notices a folder created after start, then files inside it', async () => {
    const t = await start({});
    await mkdir(path.join(t.root, 'new'));
    await t.write({ 'new/x.md': entry('question: x') });
    await waitFor(() => t.watcher.current() === 'x=x');
  });
});
