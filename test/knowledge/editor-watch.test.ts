/**
 * The one watcher of a knowledge-base folder (src/knowledge/editor-watch.ts): every editor file
 * through one chokidar watch, each part reloaded on its own and keeping its last good version, and
 * the bot's phrases (watchMessages) and the console's templates (cannedReplies) read from it.
 */
import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { watchMessages } from '../../src/bot/messages.ts';
import { cannedReplies } from '../../src/console/canned.ts';
import { watchEditorFiles, type EditorEvent, type EditorFiles, type EditorFilesOptions } from '../../src/knowledge/editor-watch.ts';
import { MessagesInvalidError } from '../../src/knowledge/phrases.ts';
import type { KnowledgeBase } from '../../src/knowledge/types.ts';
import { entry, makeTree, removeTrees, writeTree, type Tree } from '../support/kb-tree.ts';
import { waitFor } from '../support/waits.ts';

const PRODUCT_MESSAGES = fileURLToPath(new URL('../../knowledge-base/_messages.yml', import.meta.url));

const open: EditorFiles<unknown>[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
  await removeTrees();
});

/** A tree with every kind of editor file, the phrases valid (every key is required). */
async function fullTree(extra: Tree = {}): Promise<Tree> {
  return {
    'a.md': entry('question: 怎么退款\nid: refund'),
    '_words.yml': '- 专业版\n',
    '_messages.yml': await readFile(PRODUCT_MESSAGES, 'utf8'),
    '_replies.yml': '稍等: 好的，请稍等\n',
    ...extra,
  };
}

async function start(files: Tree, opts: EditorFilesOptions<string> = {}) {
  const root = await makeTree(files);
  let compiles = 0;
  const events: EditorEvent<string>[] = [];
  const watcher = await watchEditorFiles<string>(root, {
    compile: (kb: KnowledgeBase) => {
      compiles++;
      return kb.entries.map((e) => `${e.id}=${e.question}`).join(' ');
    },
    debounceMs: 30,
    ...opts,
  });
  open.push(watcher);
  watcher.onChange((e) => events.push(e));
  return { root, watcher, events, compiles: () => compiles, write: (f: Tree) => writeTree(root, f) };
}

describe('watchEditorFiles', () => {
  it('loads every part; a saved phrase reloads the phrases only, in a new version', async () => {
    const t = await start(await fullTree());
    const first = t.watcher.snapshot();
    expect(first.faq).toBe('refund=怎么退款');
    expect(first.kb?.extras.words).toEqual(['专业版']);
    expect(first.replies.map((r) => r.title)).toEqual(['稍等']);
    expect(first.messages?.closing).toBeTruthy();
    expect(t.watcher.problems()).toEqual([]);

    const text = await readFile(path.join(t.root, '_messages.yml'), 'utf8');
    await t.write({ '_messages.yml': text.replace(/^closing: .*$/m, 'closing: 不客气～') });
    await waitFor('the phrases reloaded', () => t.events.find((e) => e.part === 'messages'));
    expect(t.watcher.messages()?.closing).toBe('不客气～');
    expect(t.watcher.snapshot().version).toBeGreaterThan(first.version);
    // The FAQ was neither read nor compiled again for it.
    expect(t.events.map((e) => e.part)).toEqual(['messages']);
    expect(t.compiles()).toBe(1);
    // The version is the object: the old snapshot still reads the old phrases.
    expect(first.messages?.closing).not.toBe('不客气～');
  });

  it('a save right after a reload is read too (chokidar drops a file\'s change events for 50 ms)', async () => {
    const t = await start(await fullTree());
    for (const text of ['第一版', '第二版', '第三版']) {
      await t.write({ '_replies.yml': `稍等: ${text}\n` });
      await waitFor(`the templates "${text}"`, () => t.watcher.replies()[0]?.text === text);
    }
  });

  it('a broken file of one part: reported as file:line, its last good version serves, the others reload', async () => {
    const t = await start(await fullTree());
    await t.write({ '_replies.yml': '稍等: 好的\n坏的一条:\n' });
    await waitFor('the templates reported', () => t.watcher.problems('replies').length > 0);
    expect(t.watcher.problems()).toEqual([{ file: '_replies.yml', line: 2, message: '"坏的一条" must not be empty' }]);
    expect(t.watcher.replies().map((r) => r.text)).toEqual(['好的，请稍等']);
    expect(t.events.at(-1)).toMatchObject({ part: 'replies', applied: false });

    // The FAQ still follows its edits meanwhile.
    await t.write({ 'b.md': entry('question: 怎么开发票\nid: invoice') });
    await waitFor('the new entry', () => t.watcher.snapshot().faq?.includes('invoice'));
    expect(t.watcher.problems('faq')).toEqual([]);

    await t.write({ '_replies.yml': '稍等: 好的\n' });
    await waitFor('the fixed templates', () => t.watcher.replies()[0]?.text === '好的');
    expect(t.watcher.problems()).toEqual([]);
  });

  it('a broken phrases file at start: no phrases and its problems, the FAQ serves', async () => {
    const t = await start(await fullTree({ '_messages.yml': 'greeting: [oops' }));
    expect(t.watcher.messages()).toBeUndefined();
    expect(t.watcher.problems('messages')).toEqual([{ file: '_messages.yml', line: 1, message: expect.stringContaining('"[" is not closed') }]);
    expect(t.watcher.snapshot().faq).toBe('refund=怎么退款');
  });

  it('a deleted _replies.yml leaves no templates; a deleted _messages.yml keeps the last good phrases', async () => {
    const t = await start(await fullTree());
    const phrases = t.watcher.messages();
    await rm(path.join(t.root, '_replies.yml'));
    await rm(path.join(t.root, '_messages.yml'));
    await waitFor('the templates gone', () => t.watcher.replies().length === 0);
    // Read now, so the phrases are known to have been read without their file.
    expect((await t.watcher.reload()).messages).toBe(false);
    expect(t.watcher.messages()).toBe(phrases);
    expect(t.watcher.problems()).toEqual([]);
  });

  it('without a watcher, refresh() reads a one-file part again only when its mtime changed', async () => {
    const t = await start(await fullTree(), { watch: false });
    expect(t.watcher.watching).toBe(false);
    const before = t.watcher.snapshot();
    expect(await t.watcher.refresh('replies')).toBe(before);

    const file = path.join(t.root, '_replies.yml');
    await writeFile(file, '稍等: 马上\n');
    const later = new Date(Date.now() + 5_000); // a later mtime even on coarse file systems
    await utimes(file, later, later);
    const after = await t.watcher.refresh('replies');
    expect(after.replies.map((r) => r.text)).toEqual(['马上']);
    expect(after.version).toBe(before.version + 1);
    expect(t.compiles()).toBe(1);
  });

  it('only the parts asked for: a phrases-only watcher reads no FAQ', async () => {
    const t = await start(await fullTree({ 'a.md': 'not an entry' }), { parts: ['messages'] });
    expect(t.compiles()).toBe(0);
    expect(t.watcher.snapshot().faq).toBeUndefined();
    expect(t.watcher.problems()).toEqual([]);
    expect(t.watcher.messages()?.greeting).toBeTruthy();
  });
});

describe('readers of the one watcher', () => {
  it('watchMessages({ files }) follows the shared phrases; close() leaves the watcher open', async () => {
    const t = await start(await fullTree());
    const problems: string[] = [];
    const messages = await watchMessages(t.root, { files: t.watcher, onProblems: (p) => problems.push(...p.map((x) => x.file)) });
    const text = await readFile(path.join(t.root, '_messages.yml'), 'utf8');
    await t.write({ '_messages.yml': text.replace(/^closing: .*$/m, 'closing: 好嘞') });
    await waitFor('the new phrase', () => messages.current().closing === '好嘞');

    await t.write({ '_messages.yml': text.replace(/^closing: .*$/m, '') });
    await waitFor('the broken save reported', () => problems.length > 0);
    expect(problems).toEqual([path.join(t.root, '_messages.yml')]);
    expect(messages.current().closing).toBe('好嘞');

    await messages.close();
    await t.write({ '_replies.yml': '稍等: 好\n' });
    await waitFor('the shared watcher still following', () => t.watcher.replies()[0]?.text === '好');
  });

  it('watchMessages refuses to start without valid phrases, naming the file under the folder', async () => {
    const t = await start(await fullTree({ '_messages.yml': 'greeting: 你好\n' }));
    const err = await watchMessages(t.root, { files: t.watcher }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessagesInvalidError);
    expect((err as MessagesInvalidError).problems[0]?.file).toBe(path.join(t.root, '_messages.yml'));
    // Alone (no watcher of that folder in the process): a file that is not there.
    const empty = await makeTree({ 'a.md': entry('question: 你好') });
    const alone = await watchMessages(empty).catch((e: unknown) => e);
    expect((alone as Error).message).toContain(`${path.join(empty, '_messages.yml')}:1: messages file not found`);
  });

  it('watchMessages(dir) without `files` shares the watcher already following that folder', async () => {
    const t = await start(await fullTree());
    const messages = await watchMessages(t.root);
    expect(messages.current()).toBe(t.watcher.messages());
    const text = await readFile(path.join(t.root, '_messages.yml'), 'utf8');
    await t.write({ '_messages.yml': text.replace(/^closing: .*$/m, 'closing: 一起的') });
    await waitFor('the new phrase', () => messages.current().closing === '一起的');
    // No watcher of its own: the very object the folder's watcher read.
    expect(messages.current()).toBe(t.watcher.messages());
    await messages.close();
    expect(t.watcher.messages()?.closing).toBe('一起的');
  });

  it('cannedReplies(dir, files): templates then FAQ answers; a broken edit keeps the last good ones', async () => {
    const t = await start(await fullTree());
    const canned = cannedReplies(t.root, t.watcher);
    expect((await canned.list(t.watcher.snapshot().kb!)).map((c) => c.title)).toEqual(['稍等', '怎么退款']);
    await t.write({ '_replies.yml': '稍等: 好的\n坏的一条:\n' });
    await waitFor('the problem', async () => (await canned.problems()).length > 0);
    expect(await canned.problems()).toEqual([{ file: path.join(t.root, '_replies.yml'), line: 2, message: '"坏的一条" must not be empty' }]);
    expect((await canned.list(null)).map((c) => c.text)).toEqual(['好的，请稍等']);
  });
});
