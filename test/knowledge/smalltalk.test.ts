/**
 * Small talk (src/knowledge/smalltalk.ts): what counts as chit-chat in a message, and the editors'
 * `_smalltalk.yml` — its problems as file:line, the built-in phrases without it, and the one
 * watcher keeping its last good version.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { lintEditorFiles } from '../../src/knowledge/editor-files.ts';
import { watchEditorFiles, type EditorFiles } from '../../src/knowledge/editor-watch.ts';
import { formatProblem } from '../../src/knowledge/errors.ts';
import {
  DEFAULT_SMALLTALK,
  detectSmalltalk,
  parseSmalltalk,
  readSmalltalk,
  SMALLTALK_INTENTS,
  type SmalltalkIntent,
} from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees, writeTree } from '../support/kb-tree.ts';
import { waitFor } from '../support/waits.ts';

const KB_DIR = fileURLToPath(new URL('../../knowledge-base', import.meta.url));

const open: EditorFiles[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
  await removeTrees();
});

describe('detectSmalltalk', () => {
  const whole: [string, SmalltalkIntent][] = [
    ['你好呀～', 'greeting'],
    ['HELLO!', 'greeting'],
    ['亲，在吗？', 'presence'],
    ['谢谢啦!!', 'thanks'],
    ['太感谢了🙏', 'thanks'],
    ['拜拜👋', 'bye'],
    ['你最近好吗[微笑]', 'how_are_you'],
    ['how are you?', 'how_are_you'],
    ['请问你是机器人吗', 'bot_identity'],
    ['你是真人还是机器人？', 'bot_identity'],
    ['今天天气怎么样', 'weather'],
    ['明天会下雨吗？？', 'weather'],
    ['你真棒！', 'praise'],
    ['哈哈哈哈哈', 'chitchat'],
    ['讲个笑话吧', 'chitchat'],
    ['在干嘛呢', 'chitchat'],
  ];
  it.each(whole)('%s is entirely small talk: %s', (text, intent) => {
    expect(detectSmalltalk(text)).toEqual({ intent, whole: true, coverage: 1 });
  });

  it.each(['你好，退款怎么弄', '你好，我的发票开错了能重开吗', '谢谢，那导出的视频在哪', '哈哈，这个软件好用吗'])(
    '%s carries a question: not entirely small talk, and not mostly',
    (text) => {
      const m = detectSmalltalk(text);
      expect(m?.whole).toBe(false);
      expect(m!.coverage).toBeLessThan(0.5);
    },
  );

  it.each(['天气冷了暖气不热', '录屏没声音', '发票怎么弄', 'this is it', '怎么导出gif'])('%s has no small talk in it', (text) => {
    expect(detectSmalltalk(text)).toBeNull();
  });

  it('a particle inside a question is not filler (the 么 of 怎么弄), at the end it is', () => {
    expect(detectSmalltalk('你好，退款怎么弄')!.coverage).toBeCloseTo(2 / 7);
    expect(detectSmalltalk('天气怎么样呀')!.whole).toBe(true);
  });

  it('a Latin phrase is a word of its own', () => {
    expect(detectSmalltalk('hi')?.intent).toBe('greeting');
    expect(detectSmalltalk('chinese')).toBeNull();
  });

  it('the intent covering the most characters wins; ties go to the more specific', () => {
    expect(detectSmalltalk('你好，今天天气怎么样')).toMatchObject({ intent: 'weather', whole: true });
    expect(detectSmalltalk('你好，你是机器人吗')).toMatchObject({ intent: 'bot_identity', whole: true });
    expect(detectSmalltalk('哈哈谢谢')).toMatchObject({ intent: 'thanks', whole: true });
  });

  it('mostly small talk with a little else: not whole, the share covered', () => {
    const m = detectSmalltalk('今天天气怎么样啊，适合出去玩吗');
    expect(m).toMatchObject({ intent: 'weather', whole: false });
    expect(m!.coverage).toBeGreaterThanOrEqual(0.5);
    expect(m!.coverage).toBeLessThan(1);
  });

  it('a long message is a question, whatever it starts with', () => {
    expect(detectSmalltalk(`你好${'呀'.repeat(40)}`)).toBeNull();
  });

  it('reads the phrases it is given', () => {
    const own = { ...DEFAULT_SMALLTALK, phrases: { ...DEFAULT_SMALLTALK.phrases, weather: ['空气质量'] } };
    expect(detectSmalltalk('今天空气质量怎么样', own)).toMatchObject({ intent: 'weather', whole: false });
    expect(detectSmalltalk('今天空气质量', own)).toMatchObject({ intent: 'weather', whole: true });
    expect(detectSmalltalk('今天天气怎么样', own)).toBeNull();
  });
});

describe('_smalltalk.yml', () => {
  it('the product file loads, with the built-in phrases of every intent', () => {
    const read = readSmalltalk(KB_DIR)!;
    expect(read.problems).toEqual([]);
    for (const intent of SMALLTALK_INTENTS) expect(read.smalltalk!.phrases[intent], intent).toEqual(DEFAULT_SMALLTALK.phrases[intent]);
    expect(read.smalltalk!.filler).toEqual(DEFAULT_SMALLTALK.filler);
  });

  it('an intent written replaces the built-in phrases, one left out keeps them, [] turns it off', () => {
    const { smalltalk, problems } = parseSmalltalk('weather: [空气质量, 618]\nchitchat: []\nfiller:\n  - 哇\n');
    expect(problems).toEqual([]);
    expect(smalltalk!.phrases.weather).toEqual(['空气质量', '618']);
    expect(smalltalk!.phrases.chitchat).toEqual([]);
    expect(smalltalk!.phrases.thanks).toEqual(DEFAULT_SMALLTALK.phrases.thanks);
    expect(smalltalk!.filler).toEqual(['哇']);
    expect(detectSmalltalk('哈哈', smalltalk)).toBeNull();
    expect(parseSmalltalk('').smalltalk).toBe(DEFAULT_SMALLTALK);
  });

  it('a file from before presence (在吗 under greeting, no presence line) loads and keeps 在吗 a greeting', () => {
    const { smalltalk, problems } = parseSmalltalk('greeting: [你好, 在吗]\n', 's.yml');
    expect(problems).toEqual([]);
    expect(smalltalk!.phrases.presence).not.toContain('在吗');
    expect(smalltalk!.phrases.presence).toContain('有人吗');
    expect(detectSmalltalk('在吗', smalltalk)).toMatchObject({ intent: 'greeting', whole: true });
  });

  it('reports every problem as file:line, sorted by line', () => {
    const text = ['weather: [天气怎么样]', 'wether: [下雨]', 'praise: 真棒', 'thanks:', '  - 谢谢', '  - "！！"', `  - ${'谢'.repeat(21)}`, 'chitchat: [天气怎么样]'].join('\n');
    expect(parseSmalltalk(text, 's.yml').problems.map(formatProblem)).toEqual([
      's.yml:2: unknown intent "wether" (known: bot_identity, weather, how_are_you, praise, thanks, bye, chitchat, preamble, presence, greeting, filler)',
      's.yml:3: "praise" must be "intent: [phrase, phrase]" lines, e.g. "weather: [天气怎么样, 会下雨吗]"',
      's.yml:6: "thanks" phrase 2 must be words (letters or characters), not empty',
      `s.yml:7: "thanks" phrase "${'谢'.repeat(21)}" must be at most 20 characters`,
      's.yml:8: "天气怎么样" is under both "weather" and "chitchat"',
    ]);
    expect(parseSmalltalk(text).smalltalk).toBeUndefined();
  });

  it('a YAML syntax error at its line; a file that is not intent lines', () => {
    const [syntax] = parseSmalltalk('thanks: [谢谢\nbye: [再见]\n', 's.yml').problems;
    expect(syntax).toEqual({ file: 's.yml', line: 1, message: '"[" is not closed: end the list with "]" on the same line' });
    expect(parseSmalltalk('- 你好\n', 's.yml').problems.map(formatProblem)).toEqual([
      's.yml:1: must be "intent: [phrase, phrase]" lines, e.g. "weather: [天气怎么样, 会下雨吗]"',
    ]);
  });

  it('kb lint reports it with the other editor files', async () => {
    const root = await makeTree({ 'a.md': entry('question: 怎么退款\nid: refund'), '_smalltalk.yml': 'thanks: [谢谢]\nweathr: [下雨]\n' });
    const report = await lintEditorFiles(root);
    expect(report.problems.map(formatProblem)).toEqual([expect.stringMatching(/^_smalltalk\.yml:2: unknown intent "weathr"/)]);
    expect(report.smalltalk).toBeUndefined();
    const clean = await lintEditorFiles(await makeTree({ 'a.md': entry('question: 怎么退款\nid: refund') }));
    expect(clean.smalltalk).toBe(DEFAULT_SMALLTALK);
  });
});

describe('the watcher', () => {
  const tree = { 'a.md': entry('question: 怎么退款\nid: refund') };

  it('serves the built-in phrases without a file; a save applies, a broken save keeps the last good one', async () => {
    const root = await makeTree(tree);
    const files = await watchEditorFiles(root, { watch: false });
    open.push(files);
    expect(files.snapshot().smalltalk).toBe(DEFAULT_SMALLTALK);

    await writeTree(root, { '_smalltalk.yml': 'weather: [空气质量]\n' });
    expect((await files.reload()).smalltalk).toBe(true);
    const good = files.snapshot().smalltalk;
    expect(good.phrases.weather).toEqual(['空气质量']);

    await writeTree(root, { '_smalltalk.yml': 'weather: [空气质量]\nweathr: [下雨]\n' });
    expect((await files.reload()).smalltalk).toBe(false);
    expect(files.snapshot().smalltalk).toBe(good);
    expect(files.problems('smalltalk').map(formatProblem)).toEqual([expect.stringMatching(/^_smalltalk\.yml:2: unknown intent "weathr"/)]);
    // The FAQ's problems are its own.
    expect(files.problems('faq')).toEqual([]);
  });

  it('follows a save of _smalltalk.yml alone, without recompiling the FAQ', async () => {
    const root = await makeTree(tree);
    let compiles = 0;
    const files = await watchEditorFiles(root, { debounceMs: 30, compile: (kb) => (compiles++, kb) });
    open.push(files);
    await writeTree(root, { '_smalltalk.yml': 'chitchat: [打游戏]\n' });
    await waitFor('the new small talk', () => files.snapshot().smalltalk.phrases.chitchat[0] === '打游戏');
    expect(compiles).toBe(1);
  });
});
