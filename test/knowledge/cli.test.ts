/**
 * The `kb` command line, run as a real child process (`node --import tsx src/knowledge/cli/main.ts`).
 * Each spawn costs about a second, so every test runs the CLI once and checks all it can.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, lintEditorFiles, MESSAGE_KEYS } from '../../src/knowledge/index.ts';
import { loadKnowledgeBase } from '../../src/knowledge/loader.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';
import { runNode, type Run } from '../support/processes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join('src', 'knowledge', 'cli', 'main.ts');
/** A small knowledge base of another product (a coffee chain's app), written here: one the engine has never seen. */
const UNSEEN = {
  'order/cancel-order.md': entry('question: 怎么取消订单？\nalternates: [下单后还能取消吗, 不想要了怎么退单]\nkeywords: [取消订单, 退单]\ntags: [order]', '未制作的订单可在 **订单 → 取消** 里取消。'),
  'pay/pay-methods.md': entry('question: 支持哪些付款方式？\nalternates: [可以用微信支付吗, 能刷信用卡吗]\nkeywords: [付款, 支付]\ntags: [pay]', '支持微信支付、支付宝和银行卡。'),
  'member/points.md': entry('question: 积分怎么兑换？\nalternates: [积分有什么用, 积分能换咖啡吗]\nkeywords: [积分, 兑换]\ntags: [member]', '在 **我的 → 积分商城** 兑换饮品券。'),
  'store/opening-hours.md': entry('question: 门店几点开门？\nalternates: [营业时间是几点, 晚上几点关门]\nkeywords: [营业时间, 开门]\ntags: [store]', '大部分门店 7:30-21:00 营业。'),
};
let unseen: string;

/** Runs `kb <args>` from the repo root, feeding `input` on stdin. */
function kb(args: string[], input = ''): Promise<Run> {
  return runNode(['--import', 'tsx', CLI, ...args], { cwd: ROOT, input });
}

const lines = (s: string): string[] => s.split('\n').slice(0, -1);

/** Two broken entries (file order: a, b) and one good one. */
const BROKEN = {
  'a-missing.md': entry('tags: [x]'),
  'b-yaml.md': '---\nquestion: 断了\n\nkeywords: [x]]\n---\nbody\n',
  'c-good.md': entry('question: 好的'),
  '_replies.yml': '稍等: 好的，请稍等\n空的:\n',
};
let broken: string;

beforeAll(async () => {
  broken = await makeTree(BROKEN);
  unseen = await makeTree(UNSEEN);
});
afterAll(removeTrees);

describe('kb command line', { timeout: 60_000 }, () => {
  it('lint on the product knowledge base: exit 0 and a one-line summary', async () => {
    const { entries } = await loadKnowledgeBase(path.join(ROOT, 'knowledge-base'));
    const r = await kb(['lint']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(r.stdout).toMatch(new RegExp(`^knowledge-base: ok — ${entries.length} entries, \\d+ alternates.*, ${MESSAGE_KEYS.length} bot phrases, \\d+ reply templates$`, 'm'));
  });

  it('lint --self-check: what the FAQ\'s own phrasings and look-alikes made from them predict', async () => {
    const r = await kb(['lint', '--self-check']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(2);
    expect(r.stdout).toMatch(/^self-check at answer threshold 0\.\d+: held-out phrasings answered right \d+% \(\d+\/\d+\), wrong \d+%; look-alikes answered \d+% \(\d+\/\d+\); this FAQ's own operating point: answer 0\.\d+ \(KB_ANSWER_THRESHOLD/m);
  });

  it('lint on a broken tree: exit 1 and one path:line: message per problem, in file order', async () => {
    const r = await kb(['lint', '--kb', broken]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out).toHaveLength(3);
    // The agents' reply templates are checked too ("_" sorts before letters).
    expect(out[0]).toBe(`${path.join(broken, '_replies.yml')}:2: "空的" must not be empty`);
    expect(out[1]).toMatch(new RegExp(`^${escape(path.join(broken, 'a-missing.md'))}:\\d+: .*"question"`));
    expect(out[2]).toMatch(new RegExp(`^${escape(path.join(broken, 'b-yaml.md'))}:4: YAML syntax error`));
  });

  it('lint on a copy of the product knowledge base with every editor file broken: exit 1, each at its file:line', async () => {
    const copy = await productCopy();
    const at = await breakAll(copy);
    const r = await kb(['lint', '--kb', copy]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    for (const [file, line, message] of at) expect(out).toContain(`${path.join(copy, file)}:${line}: ${message}`);
    expect(out).toHaveLength(at.length);
  });

  it('lint on a copy whose only problem is a broken _messages.yml (lint used to print ok): exit 1, the line of the error', async () => {
    const copy = await productCopy();
    const file = path.join(copy, '_messages.yml');
    const text = await readFile(file, 'utf8');
    const line = text.split('\n').findIndex((l) => l.startsWith('closing:')) + 1;
    await writeFile(file, text.replace(/^closing: .*$/m, 'closing: [不客气'));
    const r = await kb(['lint', '--kb', copy]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out).toHaveLength(1);
    // At the line where the list opened, not where the parser noticed it was never closed.
    expect(out[0]).toBe(`${file}:${line}: "[" is not closed: end the list with "]" on the same line`);
  });

  it('ask --json: one JSON line per input line, in order, and nothing else on stdout', async () => {
    const questions = ['录屏没有声音怎么办', '', '今天天气怎么样', '会员怎么退款', '  录屏 没声音  ', 'how do I export'];
    // CRLF line endings, and the last line without a line break.
    const r = await kb(['ask', '--json'], questions.join('\r\n'));
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(questions.length);
    const results = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    results.forEach((res, i) => {
      // The contract's fields; an extension names what the bot does before the FAQ (small talk here).
      const extensions = i === 2 ? ['smalltalk'] : [];
      expect(Object.keys(res).sort()).toEqual(['candidates', 'decision', 'id', 'q', 'score', ...extensions].sort());
      expect(res.q).toBe(questions[i]);
      expect(['answer', 'suggest', 'handoff']).toContain(res.decision);
      expect(typeof res.id).toBe('string'); // the knowledge base is not empty
      expect(res.score).toBeTypeOf('number');
      expect(res.score).toBeGreaterThanOrEqual(0);
      expect(res.score).toBeLessThanOrEqual(1);
      expect(Array.isArray(res.candidates)).toBe(true);
      const candidates = res.candidates as unknown[];
      expect(candidates.length).toBeLessThanOrEqual(3);
      for (const c of candidates) expect(c).toBeTypeOf('string');
    });
    expect(results[0]).toMatchObject({ decision: 'answer', id: 'no-sound' });
    expect(results[2]).toMatchObject({ smalltalk: 'weather' });
    expect(results[2]!.decision).not.toBe('answer');
  });

  it('ask --json says what the bot does before the FAQ: a request for a person is a handoff with no list; the menu words; small talk', async () => {
    const r = await kb(['ask', '--json', '转人工', '菜单', '你好', '会员怎么退款', '你们客服太垃圾了']);
    expect(r.code).toBe(0);
    const [person, menu, hello, refund, angry] = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(angry).toMatchObject({ decision: 'handoff', candidates: [], complaint: true });
    expect(person).toMatchObject({ q: '转人工', decision: 'handoff', candidates: [], person: true });
    expect(person!.id).toBeTypeOf('string');
    expect(menu).toMatchObject({ q: '菜单', menu: true });
    expect(hello).toMatchObject({ q: '你好', smalltalk: 'greeting' });
    expect(Object.keys(refund!).sort()).toEqual(['candidates', 'decision', 'id', 'q', 'score']);
    const text = await kb(['ask', '菜单']);
    expect(text.stdout).toMatch(/^decision: menu {3}the bot replies with the numbered menu/);
    // A "did you mean" is shown as WeChat shows it, in the knowledge base's own words.
    const list = await kb(['ask', '会员']);
    expect(list.stdout).toMatch(/^decision: suggest/);
    expect(list.stdout).toMatch(/--- WeChat message ---\n您想问的是不是下面这些？\n1\. /);
    const weather = await kb(['ask', '今天天气怎么样']);
    expect(weather.stdout).toMatch(/^decision: small talk \(weather\) {3}the bot replies with smalltalk_weather and the menu, not the FAQ; the FAQ alone: handoff/);
  });

  it('ask --json "q" …: the questions given are answered, one line each in the same shape, and stdin is not read', async () => {
    const r = await kb(['ask', '--json', '录屏没声音', '在吗'], '会员怎么退款\n');
    expect(r.code).toBe(0);
    const results = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results.map((x) => x.q)).toEqual(['录屏没声音', '在吗']);
    expect(Object.keys(results[0]!).sort()).toEqual(['candidates', 'decision', 'id', 'q', 'score']);
    expect(results[0]).toMatchObject({ decision: 'answer', id: 'no-sound', candidates: ['no-sound'] });
    // Nothing in common with any entry: an id is still reported (the contract), but no candidate at score 0.
    expect(results[1]).toMatchObject({ decision: 'handoff', score: 0, candidates: [] });
    expect(results[1]!.id).toBeTypeOf('string');
  });

  it('ask on filler lists no candidate at score 0; ask on a request for a person says the bot hands off, with no "did you mean"', async () => {
    for (const q of ['在吗', '你好', '嗯嗯']) {
      const r = await kb(['ask', q]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/the FAQ alone: handoff, best: - \(nothing in common with any entry\)|^decision: handoff {3}best: - \(nothing in common with any entry\)/m);
      expect(r.stdout).not.toMatch(/^ {2}\d\. /m);
    }
    // A blank question is a usage error, not a decision.
    const blank = await kb(['ask', '  ']);
    expect(blank.code).toBe(2);
    expect(blank.stderr).toMatch(/ask needs a question/);
    const person = await kb(['ask', '转人工']);
    expect(person.code).toBe(0);
    expect(person.stdout).toMatch(/^decision: handoff {3}asks for a person .*the bot hands off at once/m);
    expect(person.stdout).not.toMatch(/^ {2}\d\. /m);
  });

  it('ask --json works on a knowledge base it has never seen', async () => {
    const { entries } = await loadKnowledgeBase(unseen);
    const ids = entries.map((e) => e.id);
    const questions = ['怎么取消订单？', '积分能换什么'];
    const r = await kb(['ask', '--kb', unseen, '--json'], `${questions.join('\n')}\n`);
    expect(r.code).toBe(0);
    const results = lines(r.stdout).map((l) => JSON.parse(l) as { q: string; decision: string; id: string; candidates: string[] });
    expect(results.map((x) => x.q)).toEqual(questions);
    for (const x of results) {
      expect(ids).toContain(x.id);
      for (const c of x.candidates) expect(ids).toContain(c);
    }
    // An entry's own question, verbatim, is the obvious case.
    expect(results[0]!).toMatchObject({ decision: 'answer', id: 'cancel-order' });
    expect(results[0]).not.toHaveProperty('also');
  });

  it('ask on a message that asks two things: --json says the bot answers both ("also"), the description shows both answers', async () => {
    const json = await kb(['ask', '--kb', unseen, '--json', '怎么取消订单？另外门店晚上几点关门']);
    expect(json.code).toBe(0);
    const line = JSON.parse(lines(json.stdout)[0]!) as { decision: string; id: string; also?: string[] };
    expect(line.decision).toBe('answer');
    expect([line.id, ...(line.also ?? [])].sort()).toEqual(['cancel-order', 'opening-hours']);
    const told = await kb(['ask', '--kb', unseen, '怎么取消订单？另外门店晚上几点关门']);
    expect(told.stdout).toMatch(/several questions: the bot answers each \(cancel-order for "怎么取消订单？", opening-hours for "门店晚上几点关门"\)/);
    expect(told.stdout).toContain('订单 → 取消');
    expect(told.stdout).toContain('7:30-21:00');
  });

  it('ask "question": the decision, the best entry and the answer as WeChat shows it', async () => {
    const r = await kb(['ask', '录屏没有声音怎么办']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('decision: answer');
    expect(r.stdout).toContain('no-sound');
    expect(r.stdout).toContain('--- WeChat message');
    // From the answer body: **音频** is rendered without the markdown.
    expect(r.stdout).toContain('在主界面点音频图标');
    expect(r.stdout).not.toContain('**');
  });

  it('ask "question": an entry lowered for naming another alternative says so', async () => {
    const dir = await makeTree({
      'renew.md': entry('question: 怎么开通自动续费？\nkeywords: [自动续费]', '在 **我的 → 会员** 打开自动续费。'),
      'hours.md': entry('question: 门店几点开门？\nkeywords: [营业时间]', '7:30-21:00。'),
    });
    const r = await kb(['ask', '--kb', dir, '怎么取消自动续费']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('decision: answer');
    // The usual word of each side ("关闭自动续费" for 取消自动续费, "开通自动续费").
    expect(r.stdout).toMatch(/1\. renew .*\n {5}lowered: the question and this entry name different alternatives \((关闭|取消)\S* ≠ 开通\S*\)/);
  });

  it('ask "question": an entry lowered for never speaking of the operation asked says which', async () => {
    const dir = await makeTree({
      'credit.md': entry('question: 逾期会影响征信吗？\nkeywords: [征信]', '逾期超过 3 天会上报征信。'),
      'hours.md': entry('question: 门店几点开门？\nkeywords: [营业时间]', '7:30-21:00。'),
    });
    const r = await kb(['ask', '--kb', dir, '征信报告在哪里打印']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('decision: answer');
    expect(r.stdout).toMatch(/1\. credit .*\n {5}lowered: the question asks to 打印, which this entry never mentions/);
  });

  it('eval: rates with percentages and a latency line', async () => {
    const r = await kb(['eval', '--cases', 'test/cases/kb-cases.jsonl']);
    expect(r.code).toBe(0);
    for (const label of ['correct answer', 'wrong answer', 'out-of-scope answered', 'helpful']) {
      expect(r.stdout).toMatch(new RegExp(`^${label}:\\s+\\d+\\.\\d%\\s+\\(\\d+/\\d+`, 'm'));
    }
    expect(r.stdout).toMatch(/^latency: p50 \d+(\.\d+)? ms, p99 \d+(\.\d+)? ms$/m);
  });

  it('eval refuses a cases file naming entries the knowledge base does not have, or that does not exist (exit 1)', async () => {
    const dir = await makeTree({
      ...UNSEEN,
      'cases.jsonl': ['{"q":"怎么取消订单","expect":"cancel-order"}', '', '{"q":"积分","expect":"point"}', '{"q":"会员卡","expect":null,"resembles":"nope"}'].join('\n'),
    });
    const r = await kb(['eval', '--kb', dir, '--cases', path.join(dir, 'cases.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([
      `${path.join(dir, 'cases.jsonl')}:3: "expect" names no entry of ${dir}: "point"`,
      `${path.join(dir, 'cases.jsonl')}:4: "resembles" names no entry of ${dir}: "nope"`,
    ]);
    const missing = await kb(['eval', '--kb', dir, '--cases', path.join(dir, 'none.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`kb: cannot read the cases file ${path.join(dir, 'none.jsonl')}: no such file\n`);
    // Nothing to measure is no measurement: not rates of "n/a" and exit 0.
    await writeFile(path.join(dir, 'empty.jsonl'), '\n\n');
    const empty = await kb(['eval', '--kb', dir, '--cases', path.join(dir, 'empty.jsonl')]);
    expect(empty.code).toBe(1);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toMatch(/^kb: .*empty\.jsonl holds no cases: one \{"q"/);
  });

  it('lint on a FAQ without _messages.yml: ok, with a note that the bot needs the phrases; ask on nothing in common names no entry', async () => {
    const r = await kb(['lint', '--kb', unseen]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^note: no _messages\.yml here: the bot needs its phrases/m);
    const none = await kb(['ask', '--kb', unseen, '🐶🐶🐶']);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^decision: handoff {3}best: - \(nothing in common with any entry\) {3}score: 0\.000$/m);
  });

  it('eval: questions held back because the entry never mentions what they ask are counted, and --verbose says why', async () => {
    const dir = await makeTree({
      'credit.md': entry('question: 逾期会影响征信吗？\nkeywords: [征信]', '逾期超过 3 天会上报征信。'),
      'hours.md': entry('question: 门店几点开门？\nkeywords: [营业时间]', '7:30-21:00。'),
      'cases.jsonl': [
        '{"q":"征信报告在哪里打印","expect":null,"type":"trap"}',
        '{"q":"逾期会影响征信吗","expect":"credit"}',
        // The editor says this entry answers it: the wording belongs in its alternates.
        '{"q":"逾期影响的征信报告能打印出来吗","expect":"credit"}',
      ].join('\n'),
    });
    const r = await kb(['eval', '--kb', dir, '--cases', path.join(dir, 'cases.jsonl'), '--verbose']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^held back: +1 out of scope, 1 in scope: not answered because the entry never mentions what they ask \(--verbose says what/m);
    expect(r.stdout).not.toMatch(/^out of scope answered/m);
    expect(r.stdout).toMatch(/^suggest \[untyped\]: 逾期影响的征信报告能打印出来吗 -> credit .*; held back credit: the question asks to 打印, which this entry never mentions$/m);
    expect(r.stdout).toMatch(/^correct answer: +50\.0%/m);
  });

  it('eval --by-type: a line per case type, look-alikes counted apart', async () => {
    const r = await kb(['eval', '--kb', 'test/fixtures/domains/shop/kb', '--cases', 'test/fixtures/domains/shop/cases.jsonl', '--by-type']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^look-alike answered:\s+\d+\.\d%\s+\(\d+\/\d+/m);
    expect(r.stdout).toMatch(/^by type:$/m);
    for (const type of ['close', 'colloquial', 'pinyin', 'trap', 'lookalike']) expect(r.stdout).toMatch(new RegExp(`^  ${type}\\s+\\d+  `, 'm'));
    expect(r.stdout).toMatch(/^ {2}trap\s+\d+ {2}out-of-scope answered\s+\d+\.\d%/m);
  });

  describe('usage errors exit 2', () => {
    it('unknown command', async () => {
      const r = await kb(['frobnicate']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('unknown command "frobnicate"');
      expect(r.stderr).toContain('usage:');
    });

    it('eval without --cases', async () => {
      const r = await kb(['eval']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('--cases');
    });

    it('a suggest threshold above the answer threshold', async () => {
      const r = await kb(['ask', '--answer', '0.3', '--suggest', '0.5', '录屏没有声音怎么办']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('--suggest 0.5 is above --answer 0.3');
    });

    it('a threshold outside 0..1', async () => {
      const r = await kb(['ask', '--answer', '2', '录屏没有声音怎么办']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('--answer must be a number from 0 to 1');
    });
  });

  it('ask --json on a broken knowledge base: exit 1, problems on stderr, nothing on stdout', async () => {
    const r = await kb(['ask', '--kb', broken, '--json'], '录屏没有声音怎么办\n');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${path.join(broken, 'a-missing.md')}:`);
    expect(r.stderr).toContain(`${path.join(broken, 'b-yaml.md')}:4: YAML syntax error`);
  });
});

/** A temp copy of the product knowledge base (tests break the copy, never the original). */
async function productCopy(): Promise<string> {
  const copy = await makeTree();
  await cp(path.join(ROOT, 'knowledge-base'), copy, { recursive: true });
  return copy;
}

/**
 * Breaks one thing in each editor file of a product copy (or only in `only`); returns
 * [file, line, message] of each problem lint must report.
 */
async function breakAll(root: string, only?: string): Promise<[file: string, line: number, message: string][]> {
  const out: [string, number, string][] = [];
  for (const b of BREAKINGS) {
    if (only && b.file !== only) continue;
    const file = path.join(root, b.file);
    const before = await readFile(file, 'utf8');
    const after = b.edit(before);
    expect(after).not.toBe(before);
    await writeFile(file, after);
    out.push([b.file, b.line(after), b.message(after)]);
  }
  return out;
}

/** Line of the first line starting with `prefix`, or of the last line when `prefix` is omitted. */
const lineOf = (text: string, prefix?: string): number => {
  const all = text.replace(/\n$/, '').split('\n');
  return prefix === undefined ? all.length : all.findIndex((l) => l.startsWith(prefix)) + 1;
};

/** How many list items a YAML list file has (the appended broken one is the last). */
const items = (text: string): number => text.split('\n').filter((l) => l.startsWith('- ')).length;

const INVISIBLE = 'has only invisible characters (zero-width spaces, direction marks): write visible text';

const BREAKINGS: { file: string; edit: (text: string) => string; line: (text: string) => number; message: (text: string) => string }[] = [
  {
    file: '_messages.yml',
    edit: (t) => t.replace(/^queued: .*$/m, 'queued: 您排第 {positon} 位'),
    line: (t) => lineOf(t, 'queued:'),
    message: () => '"queued" has unknown placeholder {positon} (allowed here: {position}, {time})',
  },
  { file: '_replies.yml', edit: (t) => `${t}坏的一条:\n`, line: (t) => lineOf(t), message: () => '"坏的一条" must not be empty' },
  { file: '_synonyms.yml', edit: (t) => `${t}- [会员]\n`, line: (t) => lineOf(t), message: (t) => `group ${items(t)} needs at least 2 different words` },
  { file: '_words.yml', edit: (t) => `${t}- "\\u200B"\n`, line: (t) => lineOf(t), message: (t) => `word ${items(t)} ${INVISIBLE}` },
  {
    file: 'billing/refund.md',
    edit: (t) => `${t.trimEnd()}\n多余的\u0000字符\n`,
    line: (t) => lineOf(t),
    message: () => 'the answer contains a control character (U+0000): remove it',
  },
];

describe('lint checks every editor file (in process, one broken file at a time)', () => {
  it('the product knowledge base is clean, phrases and templates included', async () => {
    const report = await lintEditorFiles(path.join(ROOT, 'knowledge-base'));
    expect(report.problems).toEqual([]);
    expect(Object.keys(report.messages ?? {}).sort()).toEqual([...MESSAGE_KEYS].sort());
    expect(report.replies?.length).toBeGreaterThan(0);
  });

  for (const b of BREAKINGS) {
    it(`${b.file} broken alone`, async () => {
      const copy = await productCopy();
      const [[file, line, message]] = (await breakAll(copy, b.file)) as [[string, number, string]];
      const report = await lintEditorFiles(copy);
      expect(report.problems.map(formatProblem)).toEqual([`${file}:${line}: ${message}`]);
    });
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
