import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MESSAGES_FILE,
  loadMessages,
  MESSAGE_KEYS,
  MESSAGE_PLACEHOLDERS,
  MessagesInvalidError,
  parseMessages,
  placeholdersOf,
  renderTemplate,
} from '../../src/bot/messages.ts';
import { formatProblem } from '../../src/knowledge/errors.ts';
import { MESSAGE_DEFAULTS } from '../../src/knowledge/phrases.ts';
import { lintKnowledgeBase } from '../../src/knowledge/loader.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';

afterEach(removeTrees);

const KB_DIR = fileURLToPath(new URL('../../knowledge-base', import.meta.url));
const realText = (): Promise<string> => readFile(path.join(KB_DIR, DEFAULT_MESSAGES_FILE), 'utf8');

/** The real file with one line replaced (matched by its key) or removed. */
async function edited(key: string, line: string | null): Promise<string> {
  const lines = (await realText()).split('\n');
  const i = lines.findIndex((l) => l.startsWith(`${key}:`));
  expect(i).toBeGreaterThanOrEqual(0);
  if (line === null) lines.splice(i, 1);
  else lines[i] = line;
  return lines.join('\n');
}

const lineOfKey = async (key: string): Promise<number> => (await realText()).split('\n').findIndex((l) => l.startsWith(`${key}:`)) + 1;

describe('the real _messages.yml', () => {
  it('loads with every key, non-empty, with only allowed placeholders', async () => {
    const messages = await loadMessages(KB_DIR);
    expect(Object.keys(messages).sort()).toEqual([...MESSAGE_KEYS].sort());
    for (const key of MESSAGE_KEYS) {
      expect(messages[key].trim(), key).not.toBe('');
      for (const name of placeholdersOf(messages[key])) expect(MESSAGE_PLACEHOLDERS[key], key).toContain(name);
    }
  });

  it('has the phrases the product asks for', async () => {
    const m = await loadMessages(KB_DIR);
    expect(m.flood).toBe('您发得太快了，我歇一下，稍后再聊~');
    expect(m.resolved).toContain('回复 1-5');
    expect(m.feedback_question).toContain('回复 1 有帮助 / 2 没解决');
    expect(renderTemplate(m.outside_hours, { position: 1, opens: '周一 09:00', time: '' })).toContain(
      '现在是非工作时间，客服将在周一 09:00 上班后回复您',
    );
  });

  it('does not break FAQ loading (the knowledge loader ignores it)', async () => {
    const { kb, problems } = await lintKnowledgeBase(KB_DIR);
    expect(problems).toEqual([]);
    expect(kb?.entries.some((e) => e.file.startsWith('_'))).toBe(false);
    // Even a broken messages file is not the FAQ's problem.
    const root = await makeTree({ '_messages.yml': 'greeting: [oops', 'a.md': entry('question: 你好') });
    expect((await lintKnowledgeBase(root)).problems).toEqual([]);
  });
});

describe('renderTemplate', () => {
  it('fills placeholders and leaves unknown ones as written', () => {
    expect(renderTemplate('第 {position} 位，{time} 前', { position: 2, time: '今天 15:30' })).toBe('第 2 位，今天 15:30 前');
    expect(renderTemplate('{a}{a}', { a: 'x' })).toBe('xx');
    expect(renderTemplate('{missing} and {}', {})).toBe('{missing} and {}');
  });
});

describe('problems as file:line', () => {
  it('a missing key', async () => {
    const { messages, problems } = parseMessages(await edited('flood', null), '_messages.yml');
    expect(messages).toBeUndefined();
    expect(problems.map(formatProblem)).toEqual(['_messages.yml:1: "flood" is missing']);
  });

  it('an unknown placeholder, at its line, naming the allowed ones', async () => {
    const text = await edited('queued', 'queued: 您排第 {positon} 位，预计 {time} 前回复');
    const { problems } = parseMessages(text, '_messages.yml');
    expect(problems.map(formatProblem)).toEqual([
      `_messages.yml:${await lineOfKey('queued')}: "queued" has unknown placeholder {positon} (allowed here: {position}, {time})`,
    ]);
    const none = parseMessages(await edited('greeting', 'greeting: 您好 {name}'), 'x.yml').problems;
    expect(none.map((p) => p.message)).toEqual(['"greeting" has unknown placeholder {name} (this message takes no placeholders)']);
  });

  it('a YAML syntax error, at its line', async () => {
    const text = await edited('closing', 'closing: [不客气');
    const { problems } = parseMessages(text, '_messages.yml');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.line).toBe(await lineOfKey('closing'));
    expect(problems[0]!.message).toMatch(/^"\[" is not closed/);
  });

  it('unknown keys, empty values and non-text values, sorted by line', async () => {
    let text = await edited('flood', 'flod: 太快了');
    text = text.replace(/^closing: .*$/m, 'closing:');
    text = text.replace(/^agent_joined: .*$/m, 'agent_joined: {agent: 小王}');
    const lines = text.split('\n');
    const at = (key: string): number => lines.findIndex((l) => l.startsWith(`${key}:`)) + 1;
    expect(parseMessages(text, 'm.yml').problems.map(formatProblem)).toEqual(
      [
        [at('flod'), `m.yml:${at('flod')}: unknown message "flod" (known: ${MESSAGE_KEYS.join(', ')})`],
        [at('closing'), `m.yml:${at('closing')}: "closing" must not be empty`],
        [at('agent_joined'), `m.yml:${at('agent_joined')}: "agent_joined" must be text (put it in quotes when it starts with "{", "[" or contains ": ")`],
        [1, 'm.yml:1: "flood" is missing'],
      ]
        .sort((a, b) => Number(a[0]) - Number(b[0]))
        .map((x) => x[1]),
    );
  });

  it('a file that is not key: text lines', () => {
    expect(parseMessages('- a\n- b\n', 'm.yml').problems.map(formatProblem)).toEqual(['m.yml:1: must be "key: text" lines, e.g. "greeting: 您好！"']);
    // Phrases added later have built-in defaults, so an older file without them stays valid.
    expect(parseMessages('', 'm.yml').problems).toHaveLength(MESSAGE_KEYS.filter((k) => !MESSAGE_DEFAULTS[k]).length);
  });

  it('numbers are kept as written', async () => {
    const { messages } = parseMessages(await edited('rating_thanks', 'rating_thanks: 007'));
    expect(messages?.rating_thanks).toBe('007');
  });

  it('loadMessages throws MessagesInvalidError naming the file under the kb dir', async () => {
    const root = await makeTree({ '_messages.yml': await edited('greeting', 'greeting: 你好 {name}') });
    const err = await loadMessages(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessagesInvalidError);
    const problems = (err as MessagesInvalidError).problems;
    expect(problems.map(formatProblem)).toEqual([
      `${path.join(root, '_messages.yml')}:${await lineOfKey('greeting')}: "greeting" has unknown placeholder {name} (this message takes no placeholders)`,
    ]);
    expect((err as MessagesInvalidError).code).toBe('MESSAGES_INVALID');
    expect((err as Error).message).toContain(`_messages.yml:${await lineOfKey('greeting')}:`);
  });

  it('loadMessages: a missing file and a non-UTF-8 file', async () => {
    const empty = await makeTree({});
    await expect(loadMessages(empty)).rejects.toThrow(`${path.join(empty, '_messages.yml')}:1: messages file not found`);
    const latin1 = await makeTree({ '_messages.yml': new Uint8Array([0x67, 0x3a, 0x20, 0xe9, 0x0a]) });
    await expect(loadMessages(latin1)).rejects.toThrow(/:1: not valid UTF-8 text/);
  });
});
